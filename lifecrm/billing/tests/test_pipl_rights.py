"""PIPL rights: a customer's data export (every app's section, one zip of JSON, audited) and the anonymisation
of a former customer once the jurisdiction's retention has run since their last policy ended."""
import io
import json
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from lifecrm.billing.models import DebitMandate, DueItem, Payment
from lifecrm.billing.services import due_items_raise, payment_record
from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent
from lifecrm.core.selectors import jurisdiction_rule
from lifecrm.org.access import AccessDenied, NotInScope
from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.parties.models import Customer
from lifecrm.parties.selectors import customer_search
from lifecrm.parties.services import (
    AnonymisationRefused,
    RevealRefused,
    anonymisation_date,
    consent_record,
    customer_anonymise,
    customer_data_export,
    customer_reveal_id_number,
    relationship_add,
)
from lifecrm.policies.models import Policy
from tests.factories import make_customer, make_mandate, make_org, make_policy, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
HQ = DataScope(ScopeKind.ALL, role="hq")
ENDED = date(2026, 11, 30)  # the policy was surrendered on this day
FIRST_DAY = date(2036, 12, 1)  # CN: 10 years, kept through 30 Nov 2036


@pytest.fixture(name="book")
def book_fixture():
    org = make_org()
    agent = make_staff("agent", org.team_a)
    customer = make_customer(branch=org.branch_a, agent=agent, name="欧阳娜娜", email="nana@example.cn",
                             address="北京市朝阳区建国路88号")
    spouse = make_customer(branch=org.branch_a, agent=agent, name="欧阳峰")
    policy = make_policy(owner=customer, agent=agent, branch=org.branch_a, issue_date=date(2026, 10, 20),
                         as_of=date(2026, 10, 20), payment_method="auto_debit")
    mandate = make_mandate(policy, debtor_name="欧阳娜娜")
    due_items_raise(as_of=date(2026, 11, 17), first_id=policy.pk, last_id=policy.pk)
    payment = payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("120.50"), method="cash",
                             received_on=date(2026, 11, 18), natural_key="T-PIPL-1", as_of=date(2026, 11, 18))
    consent_record(actor=SYSTEM, customer=customer, purpose="marketing", granted=True,
                   at=datetime(2026, 1, 1, tzinfo=UTC), source="counter")
    relationship_add(actor=SYSTEM, from_customer=customer, to_customer=spouse, kind="spouse")
    hq_staff = make_staff("hq", org.hq)
    customer_reveal_id_number(actor=hq_staff.user, customer=customer, purpose="verify at the counter")
    return {"org": org, "customer": customer, "policy": policy, "mandate": mandate, "payment": payment,
            "hq": hq_staff}


def _end(policy):
    Policy.objects.filter(pk=policy.pk).update(status="surrendered", status_date=ENDED)


def _json(content: bytes, number: str) -> dict:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return json.loads(archive.read(f"customer-{number}.json"))


def test_the_export_holds_every_section_and_is_audited(book):
    customer = book["customer"]
    content = customer_data_export(actor=book["hq"].user, customer=customer, as_of=date(2026, 12, 1))
    data = _json(content, customer.number)
    [party] = data["customer"]
    assert (party["name"], party["id_number"], party["email"], party["address"]) == (
        "欧阳娜娜", customer.id_number, "nana@example.cn", "北京市朝阳区建国路88号")
    assert "id_number_digest" not in party and "name_search" not in party
    assert [c["purpose"] for c in data["consents"]] == ["marketing"]
    assert data["relationships"][0]["kind"] == "spouse"
    assert [p["number"] for p in data["policies"]] == [book["policy"].number]
    assert set(data["policies"][0]["roles"]) >= {"owner"}
    assert [p["receipt_no"] for p in data["payments"]] == [book["payment"].receipt_no]
    assert data["payments"][0]["amount"] == "120.50"
    assert data["direct_debit_mandates"][0]["account_last4"] == book["mandate"].account_last4
    assert "account_number" not in data["direct_debit_mandates"][0]
    assert "reminders_and_tasks" in data
    assert any(e["action"] == "reveal" and e["field"] == "id_number" for e in data["audit_trail"])
    assert AuditEvent.objects.filter(object_type="parties.customer", object_id=str(customer.pk),
                                     field="personal_data_export", actor=book["hq"].user).count() == 1


@pytest.mark.parametrize("role", ["branch", "counter", "callcentre", "agent"])
def test_only_head_office_may_export(book, role):
    staff = make_staff(role, book["org"].branch_a if role != "agent" else book["org"].team_a)
    with pytest.raises(AccessDenied):
        customer_data_export(actor=staff.user, customer=book["customer"], as_of=date(2026, 12, 1))
    with pytest.raises(AccessDenied):  # no actor is nobody, not anybody
        customer_data_export(actor=None, customer=book["customer"], as_of=date(2026, 12, 1))
    assert not AuditEvent.objects.filter(field="personal_data_export").exists()


def test_the_reveal_checks_the_actors_own_scope(book):
    """The service reads the scope from its actor: a branch manager of another branch cannot reveal, whatever
    a caller might have handed it before (the scope is no longer a parameter)."""
    other = make_staff("branch", book["org"].branch_b)
    with pytest.raises(NotInScope):
        customer_reveal_id_number(actor=other.user, customer=book["customer"], purpose="curiosity")
    callcentre = make_staff("callcentre", book["org"].branch_a)
    with pytest.raises(RevealRefused):
        customer_reveal_id_number(actor=callcentre.user, customer=book["customer"], purpose="curiosity")
    own = make_staff("branch", book["org"].branch_a)
    assert customer_reveal_id_number(actor=own.user, customer=book["customer"], purpose="verify") == \
        book["customer"].id_number
    assert AuditEvent.objects.filter(field="id_number", purpose="curiosity").count() == 0


def test_customer_export_command_writes_the_zip(book, tmp_path):
    target = tmp_path / "export.zip"
    call_command("customer-export", book["customer"].number, out=str(target), as_of="2026-12-01",
                 stdout=io.StringIO())
    assert _json(target.read_bytes(), book["customer"].number)["customer"][0]["name"] == "欧阳娜娜"
    with pytest.raises(CommandError, match="no customer"):
        call_command("customer-export", "C999", out=str(target))


def test_anonymisation_is_refused_while_a_policy_runs(book):
    with pytest.raises(AnonymisationRefused, match="still has a policy"):
        customer_anonymise(actor=SYSTEM, customer=book["customer"], as_of=date(2050, 1, 1))


@pytest.mark.parametrize(("as_of", "allowed"), [
    (date(2036, 11, 29), False),  # the day before the retention's last day
    (date(2036, 11, 30), False),  # its last day
    (FIRST_DAY, True),  # the day after
])
def test_anonymisation_waits_for_the_retention_period(book, as_of, allowed):
    _end(book["policy"])
    customer = book["customer"]
    assert jurisdiction_rule("CN", "customer_data_retention").source
    assert anonymisation_date(customer) == FIRST_DAY
    if not allowed:
        with pytest.raises(AnonymisationRefused, match="runs until 2036-11-30"):
            customer_anonymise(actor=SYSTEM, customer=customer, as_of=as_of)
        assert Customer.objects.get(pk=customer.pk).name == "欧阳娜娜"
        return
    customer_anonymise(actor=book["hq"].user, customer=customer, as_of=as_of)
    after = Customer.objects.get(pk=customer.pk)
    assert after.name == f"ANONYMISED {customer.number}" and after.anonymised_on == FIRST_DAY
    assert (after.id_number, after.id_number_digest, after.id_number_last4, after.mobile_phone, after.email,
            after.address, after.name_folded, after.name_search, after.address_folded) == ("",) * 9
    assert after.birth_date == date(customer.birth_date.year, 1, 1)
    assert customer_search(scope=HQ, query=customer.id_number) == []
    assert customer_search(scope=HQ, query="欧阳娜娜") == []
    mandate = DebitMandate.objects.get(pk=book["mandate"].pk)
    assert (mandate.debtor_name, mandate.account_number, mandate.account_last4) == ("ANONYMISED", "", "")
    with connection.cursor() as cursor:  # nothing of the account number left in the column
        cursor.execute("SELECT account_number FROM billing_debitmandate WHERE id = %s", [mandate.pk])
        assert cursor.fetchone()[0] == ""
    payment = Payment.objects.get(pk=book["payment"].pk)  # financial records keep their amounts
    assert (payment.amount, payment.receipt_no) == (Decimal("120.50"), book["payment"].receipt_no)
    assert DueItem.objects.filter(policy=book["policy"]).exists()
    event = AuditEvent.objects.get(object_type="parties.customer", object_id=str(customer.pk),
                                   purpose__startswith="PIPL anonymisation")
    assert event.actor == book["hq"].user and "欧阳" not in json.dumps(event.after, ensure_ascii=False)
    with pytest.raises(AnonymisationRefused, match="already anonymised"):
        customer_anonymise(actor=SYSTEM, customer=after, as_of=FIRST_DAY)


def test_the_command_lists_the_eligible_and_anonymises_them(book):
    _end(book["policy"])
    out = io.StringIO()
    call_command("customer-anonymise", as_of="2036-11-30", stdout=out)
    assert book["customer"].number not in out.getvalue()
    out = io.StringIO()
    call_command("customer-anonymise", as_of="2036-12-01", stdout=out)
    assert f"{book['customer'].number}: may be anonymised" in out.getvalue()
    assert Customer.objects.get(pk=book["customer"].pk).anonymised_on is None  # listing changes nothing
    err = io.StringIO()
    with pytest.raises(CommandError, match="not anonymised"):
        call_command("customer-anonymise", book["customer"].number, as_of="2036-11-30", stderr=err)
    assert "runs until 2036-11-30" in err.getvalue()
    call_command("customer-anonymise", as_of="2036-12-01", all_eligible=True, stdout=io.StringIO())
    assert Customer.objects.get(pk=book["customer"].pk).anonymised_on == FIRST_DAY
