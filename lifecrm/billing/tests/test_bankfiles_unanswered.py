"""Debits the bank never answered: recorded as not collected on the bank's confirmation, presented again,
and booked all the same if the bank's result still comes and says collected."""
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from lifecrm.banking.models import BankFile
from lifecrm.billing.debits.unanswered import NotCollectedRefused, collections_declare_not_collected
from lifecrm.billing.models import Collection, Payment
from lifecrm.billing.tests.test_bankfiles import (  # noqa: F401  (_var_dir and the *_fixture names are fixtures)
    _var_dir,
    e2e,
    export,
    import_sample,
    org_fixture,
    sent_fixture,
)
from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent
from lifecrm.org.models import OrgUnit
from tests.factories import make_staff

pytestmark = pytest.mark.django_db
OVERDUE_DAY = date(2026, 11, 26)  # collected Fri 20 Nov: the result was due by Wed 25 Nov


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"  # assertions read the English source strings
    with translation.override("en"):
        yield


def our_file(sent) -> BankFile:
    return BankFile.objects.get(message_id=sent["message_id"])


def declare(sent, *, on=OVERDUE_DAY, reference="ICBC ticket 2026-1126-007", export_file_id=None):
    return collections_declare_not_collected(actor=SYSTEM, export_file_id=export_file_id or our_file(sent).pk,
                                             reference=reference, as_of=on)


def test_the_banks_confirmation_closes_the_unanswered_debits_and_they_are_presented_again(
        sent, django_capture_on_commit_callbacks):
    with pytest.raises(NotCollectedRefused, match="has no debit past the day its result was due"):
        declare(sent, on=date(2026, 11, 25))  # the bank may still answer today
    assert declare(sent) == 2
    assert sorted(Collection.objects.values_list("status", "reason_code", "result_on", "result_file")) == [
        ("rejected", "MS03", OVERDUE_DAY, None)] * 2
    audit = AuditEvent.objects.filter(object_type="billing.collection", after__has_key="bank_reference")
    assert {a.after["bank_reference"] for a in audit} == {"ICBC ticket 2026-1126-007"} and audit.count() == 2
    with pytest.raises(NotCollectedRefused):
        declare(sent)  # nothing left to close
    # MS03 is presented again 5 working days after the confirmation (Thu 3 Dec), as attempt 2
    assert not export(date(2026, 12, 2), django_capture_on_commit_callbacks).created
    [again] = export(date(2026, 12, 3), django_capture_on_commit_callbacks).created
    assert sorted(Collection.objects.filter(export_file=again).values_list("end_to_end_id", flat=True)) == sorted(
        [e2e(sent["paying"], 2), e2e(sent["short"], 2)])


@pytest.mark.parametrize(("reference", "message"), [("  ", "ticket, letter or e-mail"),
                                                    ("x" * 101, "at most 100 characters")])
def test_the_confirmation_needs_the_banks_reference(sent, reference, message):
    with pytest.raises(NotCollectedRefused, match=message):
        declare(sent, reference=reference)
    assert set(Collection.objects.values_list("status", flat=True)) == {"sent"}


def test_only_debits_of_our_own_files_can_be_declared(sent):
    result = import_sample("pain002_accept_reject.xml", sent)
    with pytest.raises(NotCollectedRefused, match="our own collection files"):
        declare(sent, export_file_id=result.bank_file.pk)
    with pytest.raises(NotCollectedRefused, match="our own collection files"):
        declare(sent, export_file_id=10**9)


def test_a_result_that_comes_after_all_is_applied(sent):
    """The bank said it never collected; its pain.002 arrives a day later, one line accepted after all and one
    rejected AM04: the money is booked, and the bank's own reason replaces the MS03 recorded for it."""
    declare(sent)
    report = import_sample("pain002_accept_reject.xml", sent, as_of=date(2026, 11, 27))
    assert (report.paid, report.unchanged, dict(report.rejected)) == (1, 0, {"AM04": 1})
    payment = Payment.objects.get()
    assert (payment.policy_id, payment.natural_key) == (sent["paying"].pk, f"debit:{sent['paid']}")
    assert Collection.objects.get(end_to_end_id=sent["paid"]).status == "paid"
    rejected = Collection.objects.get(end_to_end_id=sent["rejected"])
    assert (rejected.status, rejected.reason_code, rejected.result_file) == ("rejected", "AM04", report.bank_file)
    again = import_sample("pain002_accept_reject.xml", sent, as_of=date(2026, 11, 27))
    assert again.already_imported  # the same file twice changes nothing


@pytest.fixture
def overdue_day():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "localdate", lambda *args, **kwargs: OVERDUE_DAY)
        yield


def test_hq_management_records_the_confirmation_on_the_files_page(client, sent, overdue_day):
    url = reverse("banking:bank-file", args=[our_file(sent).pk])
    post = reverse("billing:bank-file-not-collected", args=[our_file(sent).pk])
    hq = make_staff("hq", OrgUnit.objects.get(kind="hq"))
    client.force_login(hq.user)
    page = client.get(url).content.decode()
    assert 'data-testid="unanswered"' in page and "2026-11-20" in page
    blank = client.post(post, {"reference": ""})
    assert blank.status_code == 400 and "ticket, letter or e-mail" in blank.content.decode()
    done = client.post(post, {"reference": "ICBC ticket 7"})
    assert done.status_code == 302 and done["Location"] == f"{url}?declared=2"
    assert client.get(f"{url}?declared=²").status_code == 200  # not a number the page shows, not an error
    after = client.get(done["Location"]).content.decode()
    assert 'data-testid="declared"' in after and 'data-testid="unanswered"' not in after
    again = client.post(post, {"reference": "ICBC ticket 7"})
    assert again.status_code == 409 and 'data-testid="not-collected-error"' in again.content.decode()


@pytest.mark.parametrize("role", ["branch", "counter", "agent", "callcentre", "claims"])
def test_other_roles_may_not_record_it(client, sent, overdue_day, role):
    """A branch manager sees the unanswered debits but not the form: a collection file is the whole company's."""
    staff = make_staff(role, OrgUnit.objects.get(kind="hq") if role == "callcentre" else sent["paying"].branch)
    client.force_login(staff.user)
    response = client.post(reverse("billing:bank-file-not-collected", args=[our_file(sent).pk]), {"reference": "x"})
    assert response.status_code == 403
    assert set(Collection.objects.values_list("status", flat=True)) == {"sent"}
    if role == "branch":
        page = client.get(reverse("banking:bank-file", args=[our_file(sent).pk])).content.decode()
        assert 'data-testid="hq-declares"' in page
        assert reverse("billing:bank-file-not-collected", args=[our_file(sent).pk]) not in page


@pytest.mark.parametrize("role", ["branch", "counter", "callcentre", "agent"])
def test_the_service_itself_refuses_staff_without_the_grant(sent, role):
    """Not only the page: the service checks the grant, so no other caller (API, command) can skip it."""
    from lifecrm.org.access import AccessDenied

    staff = make_staff(role, sent["paying"].branch)
    with pytest.raises(AccessDenied):
        collections_declare_not_collected(actor=staff.user, export_file_id=our_file(sent).pk, reference="ticket 1",
                                          as_of=OVERDUE_DAY)
    assert not Collection.objects.filter(reason_code="MS03").exists()
    hq = make_staff("hq", OrgUnit.objects.get(kind="hq"))
    assert collections_declare_not_collected(actor=hq.user, export_file_id=our_file(sent).pk, reference="ticket 1",
                                             as_of=OVERDUE_DAY) == 2
