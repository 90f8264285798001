"""The counter payment page: a payment in grace puts the policy back in force; every bad input is a field error
and leaves nothing written."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lifecrm.billing.models import Allocation, DueItem, Payment
from lifecrm.billing.tests.test_views_world import (  # noqa: F401  (the *_fixture names are fixtures)
    AS_OF,
    PREMIUM,
    business_date_fixture,
    outbox_fixture,
    world_fixture,
)
from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent
from lifecrm.policies.models import Policy
from lifecrm.policies.services import policy_transition

pytestmark = pytest.mark.django_db
URL = reverse("billing:payment-new")


def login(client, world, who="counter"):
    client.force_login(world.staff[who].user)
    return client


def form(policy, **overrides) -> dict:
    return {"policy_number": policy.number, "amount": "120.50", "method": "cash", "received_on": AS_OF.isoformat(),
            "slip": "S-0001", "note": ""} | overrides


def written() -> tuple:
    return (Payment.objects.count(), Allocation.objects.count(),
            list(DueItem.objects.order_by("pk").values_list("status", "paid_amount")),
            list(Policy.objects.order_by("pk").values_list("status", "paid_instalments")),
            AuditEvent.objects.filter(object_type="billing.payment").count())


def test_the_form_is_prefilled_from_the_policy_link(client, world):
    body = login(client, world).get(URL, {"policy": world.policy_a.pk}).content.decode()
    assert f'value="{world.policy_a.number}"' in body
    assert 'value="120.50"' in body  # the arrears
    assert f'value="{AS_OF.isoformat()}"' in body and f'max="{AS_OF.isoformat()}"' in body
    assert 'data-testid="payment-policy"' in body and "arrears CNY 120.50" in body
    # a policy outside the scope is not named, not even its number
    body = client.get(URL, {"policy": world.policy_b.pk}).content.decode()
    assert world.policy_b.number not in body


def test_a_cash_payment_in_grace_puts_the_policy_back_in_force(client, world):
    response = login(client, world).post(URL, form(world.policy_a, slip="s-0001"))
    payment = Payment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("billing:receipt", args=[payment.pk])
    assert (payment.natural_key, payment.method, payment.amount, payment.booked_by) == (
        f"counter:{world.org.branch_a.code}:S-0001", "cash", PREMIUM, world.staff["counter"])
    policy = Policy.objects.get(pk=world.policy_a.pk)
    assert (policy.status, policy.status_date) == ("in_force", AS_OF)
    body = client.get(response["Location"]).content.decode()
    assert payment.receipt_no in body and "The policy is in force again." in body
    assert 'data-testid="policy-status">in force<' in body
    assert "2026-09-30" in body and "instalment 2" in body  # the premium it paid


def test_a_payment_larger_than_the_arrears_waits_in_suspense(client, world):
    login(client, world).post(URL, form(world.policy_a, amount="400"))
    body = client.get(reverse("billing:receipt", args=[Payment.objects.get().pk])).content.decode()
    # 400 pays 30 Sep and 31 Oct (raised ahead); 159.00 waits for the next premium.
    assert "CNY 241.00" in body and "CNY 159.00" in body


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"amount": "0"}, "amount", "The amount must be more than zero."),
    ({"amount": "-5"}, "amount", "The amount must be more than zero."),
    ({"amount": "12.345"}, "amount", "at most 2 decimal places"),
    ({"amount": "abc"}, "amount", "Type the amount as digits with at most two decimals"),
    ({"amount": "1e5"}, "amount", "Type the amount as digits with at most two decimals"),
    ({"amount": "1,000.00"}, "amount", "Type the amount as digits with at most two decimals"),
    ({"amount": "１２０.５０"}, "amount", "Type the amount as digits with at most two decimals"),
    ({"amount": "10000000000"}, "amount", "An amount is at most 9,999,999,999.99."),
    ({"received_on": "1900-01-01"}, "received_on", "before the policy&#x27;s issue date (2026-08-31)"),
    ({"received_on": "2026-08-30"}, "received_on", "before the policy&#x27;s issue date (2026-08-31)"),
    ({"amount": ""}, "amount", "Type the amount received."),
    ({"received_on": "2026-10-11"}, "received_on", "cannot be received after today (2026-10-10)"),
    ({"received_on": "10/10/2026"}, "received_on", "Type the date as YYYY-MM-DD."),
    ({"method": "auto_debit"}, "method", "Select a valid choice"),
    ({"slip": ""}, "slip", "Type the slip number"),
    ({"slip": "S 1;DROP"}, "slip", "letters, digits"),
    ({"policy_number": ""}, "policy_number", "Type the policy number"),
    ({"policy_number": "P9999999999"}, "policy_number", "No such policy"),
])
def test_bad_input_is_a_field_error_and_writes_nothing(client, world, overrides, field, message):
    before = written()
    response = login(client, world).post(URL, form(world.policy_a, **overrides))
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="id_{field}-errors"' in body and message in body, body[body.find("invalid-feedback"):][:300]
    assert "Nothing was booked" in body
    assert written() == before


def test_a_policy_outside_the_scope_is_no_such_policy(client, world):
    before = written()
    body = login(client, world).post(URL, form(world.policy_b)).content.decode()  # branch B, clerk of team A
    assert "No such policy" in body and written() == before


def test_the_same_slip_twice_is_refused(client, world):
    client = login(client, world)
    client.post(URL, form(world.policy_a, slip="A-7"))
    before = written()
    response = client.post(URL, form(world.policy_a, slip="a-7", amount="10"))
    assert response.status_code == 400 and "This slip is already booked." in response.content.decode()
    assert 'id="id_slip-errors"' in response.content.decode()
    assert written() == before
    # the same slip number in another branch is another slip
    branch_b = login(client, world, "branch_b")
    assert branch_b.post(URL, form(world.policy_b, slip="A-7")).status_code == 302


def test_a_policy_that_takes_no_premium_is_refused(client, world):
    policy_transition(actor=SYSTEM, policy_id=world.policy_a.pk, to_status="surrendered", effective_date=AS_OF,
                      as_of=AS_OF)
    before = written()
    response = login(client, world).post(URL, form(world.policy_a))
    assert response.status_code == 400
    assert f"Policy {world.policy_a.number} is surrendered: it takes no premium." in response.content.decode()
    assert written() == before


def test_other_roles_may_not_take_payments(client, world):
    for who in ("agent", "callcentre", "claims"):
        assert login(client, world, who).post(URL, form(world.policy_a)).status_code == 403
    assert not Payment.objects.exists()


def test_a_receipt_of_a_suspended_policy_that_is_reinstated(client, world, business_date):
    """TW-style automatic reinstatement is not available in CN: a suspended CN policy takes the money into
    suspense without reinstating; the receipt says so by showing the status."""
    # its premium fell due on 1 Aug: 60 days of grace ended on 30 Sep, so the money received on 10 Oct came late
    DueItem.objects.filter(policy=world.policy_q, status="open").update(due_date=date(2026, 8, 1))
    Policy.objects.filter(pk=world.policy_q.pk).update(status="suspended", status_date=date(2026, 10, 1))
    login(client, world, "branch").post(URL, form(world.policy_q))
    body = client.get(reverse("billing:receipt", args=[Payment.objects.get().pk])).content.decode()
    assert "in force again" not in body and 'data-testid="policy-status">suspended<' in body
    assert "No premium was due" in body or "CNY 120.50" in body
    assert Decimal("120.50") == Payment.objects.get().amount


# -- a payment far above what the policy owes ----------------------------------------------------------------
# policy_a owes 120.50 on 10 Oct; with 12 premiums of 120.50 ahead, staff book up to 1,566.50 on their own.

def test_up_to_the_arrears_and_twelve_premiums_ahead_needs_no_confirmation(client, world):
    response = login(client, world).post(URL, form(world.policy_a, amount="1566.50"))
    assert response.status_code == 302 and Payment.objects.count() == 1


def test_more_needs_a_senior_colleagues_confirmation(client, world):
    before = written()
    response = login(client, world).post(URL, form(world.policy_a, amount="1566.51"))
    assert response.status_code == 400 and written() == before
    body = response.content.decode()
    assert 'data-testid="payment-confirmation"' in body
    assert "1,566.51 is more than the policy owes plus 12 premiums (CNY 1,566.50)" in body


@pytest.mark.parametrize(("who", "password", "message"), [
    ("branch", "wrong", "login or password is wrong"),
    ("counter", None, "a second colleague"),
    ("callcentre", None, "only a branch manager or head office"),
    ("branch_b", None, "outside the confirming colleague"),
])
def test_a_confirmation_that_does_not_hold_books_nothing(client, world, who, password, message):
    from tests.factories import PASSWORD

    before = written()
    response = login(client, world).post(URL, form(
        world.policy_a, amount="5000", senior_username=world.staff[who].user.username,
        senior_password=password or PASSWORD))
    assert response.status_code == 400 and message in response.content.decode()
    assert written() == before


def test_a_branch_manager_confirms_with_their_own_login(client, world):
    from tests.factories import PASSWORD

    response = login(client, world).post(URL, form(
        world.policy_a, amount="5000", senior_username=world.staff["branch"].user.username,
        senior_password=PASSWORD))
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.amount == Decimal("5000.00") and payment.booked_by == world.staff["counter"]
    audit = AuditEvent.objects.get(object_type="billing.payment", object_id=payment.pk)
    assert audit.after["confirmed_by"] == world.staff["branch"].user.username


def test_money_in_suspense_names_the_unit_in_the_page_language(client, world):
    """The suspense list names the policy's unit by its English name on an English page, its own on a Chinese one."""
    from lifecrm.org.models import OrgUnit

    OrgUnit.objects.filter(pk=world.org.team_a.pk).update(name_en="Beijing team 1")
    login(client, world).post(URL, form(world.policy_a, amount="400"))  # 159.00 waits in suspense
    login(client, world, "branch")
    english = client.get(reverse("billing:suspense"), headers={"accept-language": "en"}).content.decode()
    assert "Beijing team 1" in english and world.org.team_a.name not in english
    chinese = client.get(reverse("billing:suspense"), headers={"accept-language": "zh-hant"}).content.decode()
    assert world.org.team_a.name in chinese and "Beijing team 1" not in chinese
