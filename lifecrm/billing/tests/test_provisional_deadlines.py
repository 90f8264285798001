"""A grace end that falls in a year whose official calendar is not published yet (CN 2027 as shipped) says so
wherever it is shown: the policy's billing section, the work lists, the API and the reminder messages."""
from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Q
from django.urls import reverse

from lifecrm.billing import reminders
from lifecrm.billing.models import DueItem
from lifecrm.billing.tests.test_views_world import (  # noqa: F401  (the *_fixture names are fixtures)
    business_date_fixture,
    outbox_fixture,
    world_fixture,
)
from lifecrm.core.models import CalendarYear
from lifecrm.notifications import content

pytestmark = pytest.mark.django_db

PROVISIONAL_END, OFFICIAL_END = date(2027, 2, 1), date(2026, 11, 30)
MARK = 'data-testid="provisional-deadline"'


def set_grace_end(policy, end: date) -> DueItem:
    item = DueItem.objects.filter(policy=policy).order_by("due_date").first()
    item.grace_end = end
    item.save(update_fields=["grace_end"])
    return item


def billing_section(client, world, policy, language="en") -> str:
    client.force_login(world.staff["hq"].user)
    return client.get(reverse("billing:policy", args=[policy.pk]), HTTP_HX_REQUEST="true",
                      HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_billing_section_marks_a_provisional_grace_end(client, world):
    assert CalendarYear.objects.get(jurisdiction="CN", year=2027).status == "provisional"
    set_grace_end(world.policy_a, OFFICIAL_END)
    assert MARK not in billing_section(client, world, world.policy_a)
    set_grace_end(world.policy_a, PROVISIONAL_END)
    body = billing_section(client, world, world.policy_a)
    assert body.count(MARK) == 1 and "2027-02-01" in body and ">provisional<" in body
    assert ">暂定<" in billing_section(client, world, world.policy_a, "zh-hans")
    assert ">暫定<" in billing_section(client, world, world.policy_a, "zh-hant")


def test_the_work_list_marks_a_provisional_grace_end(client, world):
    for policy in (world.policy_a, world.policy_q):
        DueItem.objects.filter(policy=policy).update(grace_end=PROVISIONAL_END)
    client.force_login(world.staff["callcentre_hq"].user)
    body = client.get(reverse("billing:worklist")).content.decode()
    assert MARK in body


def test_the_api_says_whether_the_grace_end_is_provisional(world):
    from rest_framework.test import APIClient

    provisional = set_grace_end(world.policy_a, PROVISIONAL_END)
    official = set_grace_end(world.policy_q, OFFICIAL_END)
    client = APIClient()
    client.force_login(world.staff["hq"].user)
    rows = {row["id"]: row for row in client.get("/api/v1/due-items/").json()["results"]}
    assert rows[provisional.pk]["grace_end"] == "2027-02-01" and rows[provisional.pk]["grace_end_provisional"] is True
    assert rows[official.pk]["grace_end_provisional"] is False
    assert all(row["grace_end_provisional"] is False for row in rows.values() if row["grace_end"] is None)


def test_the_reminder_context_and_messages_say_so(world):
    item = set_grace_end(world.policy_a, PROVISIONAL_END)
    policy = reminders._policies(Q(pk=world.policy_a.pk))[world.policy_a.pk]
    case = reminders.Case(policy=policy, item=item, plan=None, steps=[])
    context = reminders._context(case, policy.payer, "zh-hans", date(2026, 12, 1))
    assert context["grace_end_provisional"] is True
    item.grace_end = OFFICIAL_END
    assert reminders._context(case, policy.payer, "zh-hans", date(2026, 12, 1))["grace_end_provisional"] is False
    notes = {"en": "not yet officially published", "zh-hant": "尚未正式公布", "zh-hans": "尚未正式公布"}
    for name in ("grace_warning", "demand"):
        for language, note in notes.items():
            for provisional in (True, False):
                message = content.render(names=[f"billing/messages/{name}"], language=language, context=context | {
                    "grace_end_provisional": provisional, "demand_based": False})
                assert (note in message.sms, note in message.body) == (provisional, provisional), (name, language)
