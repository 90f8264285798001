"""`lifecrm demo-setup` (the middle step of `make demo`): a book with its first daily batch, one login per role."""
from __future__ import annotations

import importlib
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from lifecrm.billing.models import DueItem, Reminder
from lifecrm.claims.models import Claim
from lifecrm.core.models import JobRun
from lifecrm.core.registries import daily_steps
from lifecrm.org.models import Staff
from lifecrm.parties.models import Customer, CustomerSegment

pytestmark = pytest.mark.django_db
DEMO_LOGINS = importlib.import_module("lifecrm.org.management.commands.demo-setup").DEMO_LOGINS


def demo_setup(**options) -> str:
    out = StringIO()
    call_command("demo-setup", no_progress=True, stdout=out, **options)
    return out.getvalue()


def test_a_fresh_database_gets_a_book_its_daily_batch_and_a_login_per_role(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    settings.LIFECRM_LETTER_OUTBOX = tmp_path / "letters"
    monkeypatch.setenv("LIFECRM_DEMO_PASSWORD", "demo-pass-1")
    output = demo_setup(customers=60)
    assert "Generating a demo book of 60 customers" in output and Customer.objects.count() == 60
    today = date.today()  # noqa: DTZ011  demo-setup's business date
    done = set(JobRun.objects.filter(as_of=today, status=JobRun.Status.DONE).values_list("step", flat=True))
    # and the print run, and the demo's valuation (policies, then customers: their tiers and stages)
    assert done == {step.name for step in daily_steps.ordered()} | {"notifications.print_letters", "value.policy_values",
                                                                    "value.customer_values"}
    assert CustomerSegment.objects.filter(valid_to__isnull=True).count() == 60
    assert "value.demo: tiers: " in output and "value.demo: stages: " in output
    assert "claims.demo: claims: " in output and Claim.objects.exists(), output[-2000:]
    assert DueItem.objects.exists()
    letters = Reminder.objects.filter(channel="letter", status="sent", done_on=today)
    assert letters.exists()
    assert f"{today}: {letters.count()} letters printed" in output
    assert len(list((tmp_path / "letters").glob("*.pdf"))) == letters.count()
    users = get_user_model().objects
    for username, (role, _place) in DEMO_LOGINS.items():
        user = users.get(username=username)
        assert user.check_password("demo-pass-1") and Staff.objects.get(user=user).role == role
        assert not user.is_superuser, username  # nobody is a superuser (issue 14 §2)
    assert users.get(username="demo-admin").is_staff and users.get(username="demo-admin").has_perm("axes.view_accessattempt")
    hq = users.get(username="demo-hq")
    assert hq.is_staff and hq.has_perm("core.change_jurisdictionrule") and not hq.has_perm("api.view_apitoken")
    assert not users.get(username="demo-counter").is_staff
    # the call-centre and counter logins have desks: members of the service desk's queues, with the book's cases
    from django.apps import apps
    members = apps.get_model("service", "QueueMember").objects
    cases = apps.get_model("service", "Case").objects
    for username in ("demo-callcentre", "demo-counter"):
        staff = Staff.objects.get(user__username=username)
        assert members.filter(staff=staff, is_active=True).exists(), username
        assert cases.filter(assignee=staff).exists(), username
    assert members.filter(staff__user__username="demo-callcentre", queue_id="callcentre").exists()

    monkeypatch.setenv("LIFECRM_DEMO_PASSWORD", "demo-pass-2")
    again = demo_setup(customers=60)  # the book is kept, the logins take the new password
    assert "Generating" not in again and Customer.objects.count() == 60
    assert users.get(username="demo-hq").check_password("demo-pass-2")


def test_a_bad_size_is_a_one_line_error_and_writes_nothing():
    with pytest.raises(CommandError, match="--customers must be a positive number"):
        demo_setup(customers=0)
    assert not Customer.objects.exists()
