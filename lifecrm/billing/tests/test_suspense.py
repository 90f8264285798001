"""Suspense accounts: every booking keeps the policy's row (none at zero), the raise step pays new premiums
out of money paid ahead, and the suspense work list shows what to recover and what to refund, in scope."""
from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from lifecrm.billing import services
from lifecrm.billing.models import DueItem, SuspenseAccount
from lifecrm.billing.selectors import suspense_balance, suspense_work_list
from lifecrm.billing.tests.test_refunds import overpay, refund
from lifecrm.billing.tests.test_views_world import (  # noqa: F401  (the *_fixture names are fixtures)
    AS_OF,
    PREMIUM,
    business_date_fixture,
    outbox_fixture,
    run_daily,
    world_fixture,
)
from lifecrm.core.actors import SYSTEM
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.policies.models import Policy
from lifecrm.policies.rules import Status

pytestmark = pytest.mark.django_db


def account(policy) -> tuple[Decimal, date] | None:
    row = SuspenseAccount.objects.filter(policy=policy).first()
    return None if row is None else (row.balance, row.since)


def test_every_booking_keeps_the_suspense_account_and_none_is_kept_at_zero(world):
    policy = world.policy_a
    assert account(policy) is None
    overpay(policy)  # 500.00 pays the overdue and the next premium: 259.00 waits
    assert account(policy) == (Decimal("259.00"), AS_OF)
    refund(policy, amount=Decimal("100.00"))
    assert account(policy) == (Decimal("159.00"), AS_OF)
    refund(policy, amount=Decimal("159.00"), reference="TR-2")
    assert account(policy) is None and suspense_balance(policy_id=policy.pk) == 0


def test_a_reversal_after_a_refund_is_to_recover_and_the_payers_next_payment_clears_it(world):
    policy = world.policy_a
    cheque = services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("500.00"), method="cheque",
                                     received_on=AS_OF, natural_key="cheque:88", as_of=AS_OF)
    refund(policy, amount=Decimal("259.00"))
    services.payment_reverse(actor=SYSTEM, payment_id=cheque.pk, reason="cheque bounced", as_of=AS_OF)
    assert account(policy) == (Decimal("-259.00"), AS_OF)
    # 500.00 again: 259.00 makes good the refund, 241.00 pays the two premiums the reversal reopened
    services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("500.00"), method="cash",
                            received_on=AS_OF, natural_key="cash:1", as_of=AS_OF)
    assert account(policy) is None
    assert not DueItem.objects.filter(policy=policy, status=DueItem.Status.OPEN, due_date__lte=date(2026, 10, 31)).exists()


def test_money_paid_ahead_pays_the_premiums_the_daily_batch_raises_later(world):
    """Six premiums paid on 10 Oct: the two raised by then are paid at once, the other four are paid from
    suspense as the batch raises them (45 days ahead of each due date); the policy never goes into grace."""
    policy = world.policy_a
    services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=PREMIUM * 6, method="bank_transfer",
                            received_on=AS_OF, natural_key="tr:ahead", as_of=AS_OF)
    assert account(policy) == (PREMIUM * 4, AS_OF)
    run_daily(date(2027, 1, 31), since=date(2026, 10, 11))
    policy.refresh_from_db()
    assert policy.status == Status.IN_FORCE
    assert policy.paid_instalments == 7  # the first at issue, six paid on 10 Oct (to the premium of 28 Feb 2027)
    assert account(policy) is None
    assert not DueItem.objects.filter(policy=policy, status=DueItem.Status.OPEN, due_date__lte=date(2027, 2, 28)).exists()
    assert policy.paid_to_date == date(2027, 3, 31)  # the next premium, not raised yet on 31 Jan


def test_premiums_paid_from_suspense_are_allocated_to_the_money_received_not_to_a_refund(world):
    policy = world.policy_a
    transfer = services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=PREMIUM * 6, method="bank_transfer",
                                       received_on=AS_OF, natural_key="tr:ahead", as_of=AS_OF)
    refund(policy, amount=Decimal("10.00"))  # the latest payment is now the (negative) refund
    run_daily(date(2026, 11, 30), since=date(2026, 10, 11))
    raised_later = DueItem.objects.filter(policy=policy, due_date=date(2026, 12, 31)).get()
    assert raised_later.status == DueItem.Status.PAID
    assert [a.payment_id for a in raised_later.allocations.all()] == [transfer.pk]


def test_money_for_a_closed_policy_is_not_applied_by_the_raise_step(world):
    policy = world.policy_a
    overpay(policy)
    Policy.objects.filter(pk=policy.pk).update(status=Status.SURRENDERED)
    services.apply_suspense_to_new_items(policy_id=policy.pk, as_of=AS_OF)
    assert account(policy) == (Decimal("259.00"), AS_OF)


def test_the_migration_backfills_the_accounts_of_an_existing_ledger(world):
    overpay(world.policy_a)
    overpay(world.policy_b, key="S-9002")
    SuspenseAccount.objects.all().delete()
    migration = importlib.import_module("lifecrm.billing.migrations.0011_suspense_accounts")
    migration.backfill(apps, SimpleNamespace(connection=connection))
    assert {a.policy_id: (a.balance, a.currency, a.since) for a in SuspenseAccount.objects.all()} == {
        world.policy_a.pk: (Decimal("259.00"), "CNY", AS_OF), world.policy_b.pk: (Decimal("259.00"), "CNY", AS_OF)}


def _to_recover(policy) -> None:
    cheque = services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("500.00"), method="cheque",
                                     received_on=AS_OF, natural_key=f"cheque:{policy.pk}", as_of=AS_OF)
    refund(policy, amount=Decimal("259.00"), reference=f"TR-{policy.pk}")
    services.payment_reverse(actor=SYSTEM, payment_id=cheque.pk, reason="cheque bounced", as_of=AS_OF)


def test_the_work_list_splits_what_to_recover_from_what_waits_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    _to_recover(world.policy_a)
    overpay(world.policy_q, key="S-q")
    overpay(world.policy_b, key="S-b")
    Policy.objects.filter(pk=world.policy_b.pk).update(status=Status.LAPSED)
    scope = data_scope_for_user(world.staff["hq"].user)
    with django_assert_num_queries(3):
        page = suspense_work_list(scope=scope)
        [(r.account.policy.number, r.account.policy.payer.name, r.account.policy.branch.name)
         for r in page.to_recover + page.waiting]
    assert [(r.account.policy_id, r.account.balance, r.amount) for r in page.to_recover] == [
        (world.policy_a.pk, Decimal("-259.00"), Decimal("259.00"))]
    assert {(r.account.policy_id, r.to_refund) for r in page.waiting} == {(world.policy_q.pk, False),
                                                                          (world.policy_b.pk, True)}
    assert [(t.currency, t.policies, t.amount) for t in page.recover_totals] == [("CNY", 1, Decimal("259.00"))]
    assert [(t.currency, t.policies, t.amount) for t in page.waiting_totals] == [("CNY", 2, Decimal("518.00"))]
    branch = suspense_work_list(scope=data_scope_for_user(world.staff["branch"].user))  # branch A only
    assert {r.account.policy_id for r in branch.to_recover + branch.waiting} == {world.policy_a.pk, world.policy_q.pk}
    assert [t.amount for t in branch.waiting_totals] == [Decimal("259.00")]


@pytest.mark.parametrize(("who", "status"), [("hq", 200), ("branch", 200), ("branch_b", 200), ("counter", 403),
                                             ("agent", 403), ("callcentre", 403), ("claims", 403)])
def test_who_opens_the_suspense_page_and_what_it_shows(client, world, who, status):
    _to_recover(world.policy_a)
    overpay(world.policy_b, key="S-b")
    Policy.objects.filter(pk=world.policy_b.pk).update(status=Status.LAPSED)
    client.force_login(world.staff[who].user)
    response = client.get(reverse("billing:suspense"))
    assert response.status_code == status
    if status != 200:
        return
    body = response.content.decode()
    sees_a, sees_b = who in ("hq", "branch"), who in ("hq", "branch_b")
    assert (world.policy_a.number in body) == sees_a
    assert (world.policy_b.number in body) == sees_b
    assert ('data-testid="suspense-refund"' in body) == sees_b  # the lapsed policy's money: refund it
    if sees_a:
        assert f"?policy={world.policy_a.pk}" in body and "259.00" in body


def test_the_page_says_when_nothing_is_in_suspense(client, world):
    client.force_login(world.staff["branch"].user)
    body = client.get(reverse("billing:suspense")).content.decode()
    assert "Nothing to recover." in body and "No money waits in suspense." in body
    assert reverse("billing:suspense") in client.get(reverse("billing:dashboard")).content.decode()


def test_the_counter_form_from_the_work_list_asks_for_the_arrears_and_what_to_recover(client, world):
    _to_recover(world.policy_a)  # the reversal reopened the premium of 30 Sep (120.50) and took back 259.00
    client.force_login(world.staff["counter"].user)
    page = client.get(reverse("billing:payment-new") + f"?policy={world.policy_a.pk}").content.decode()
    assert 'value="379.50"' in page


def test_the_api_lists_the_scopes_suspense_accounts_to_branch_and_hq_only(world, django_assert_num_queries):
    from rest_framework.test import APIClient

    _to_recover(world.policy_a)
    overpay(world.policy_b, key="S-b")

    clients = {}

    def get(who, url="/api/v1/suspense-accounts/"):
        if who not in clients:
            clients[who] = APIClient()
            clients[who].force_login(world.staff[who].user)
        return clients[who].get(url)

    get("hq")
    with django_assert_num_queries(5):  # session, user, staff (the scope), COUNT, the page
        body = get("hq").json()
    assert [(r["policy"]["id"], r["balance"], r["since"]) for r in body["results"]] == [
        (world.policy_a.pk, "-259.00", "2026-10-10"), (world.policy_b.pk, "259.00", "2026-10-10")]
    assert [r["policy"]["id"] for r in get("hq", "/api/v1/suspense-accounts/?side=recover").json()["results"]] == [
        world.policy_a.pk]
    assert [r["policy"]["id"] for r in get("branch").json()["results"]] == [world.policy_a.pk]  # branch A only
    assert get("branch", f"/api/v1/suspense-accounts/{world.policy_b.pk}/").status_code == 404
    assert get("branch", f"/api/v1/suspense-accounts/{world.policy_a.pk}/").json()["balance"] == "-259.00"
    assert get("hq", "/api/v1/suspense-accounts/?side=sideways").status_code == 400
    for who in ("counter", "agent", "callcentre", "claims"):
        assert get(who).status_code == 403


def test_the_policys_billing_section_says_what_to_recover(client, world):
    _to_recover(world.policy_a)
    client.force_login(world.staff["branch"].user)
    body = client.get(reverse("billing:policy", args=[world.policy_a.pk])).content.decode()
    assert 'data-testid="billing-to-recover"' in body and "To recover from the payer" in body
    assert 'data-testid="refund"' not in body


def test_the_daily_step_pays_from_suspense_only_what_fell_due_and_is_idempotent(world):
    """billing.apply_suspense runs between the raise and the grace step; a second run for the day pays nothing."""
    from lifecrm.core.models import JobRun
    from lifecrm.core.registries import daily_steps

    names = [step.name for step in daily_steps.ordered()]
    assert names.index("billing.raise_due_items") < names.index("billing.apply_suspense") < names.index("billing.grace")
    policy = world.policy_a
    services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=PREMIUM * 3, method="bank_transfer",
                            received_on=AS_OF, natural_key="tr:ahead", as_of=AS_OF)
    assert account(policy) == (PREMIUM, AS_OF)  # the overdue and the next premium paid, one in suspense
    run_daily(date(2026, 11, 15), since=date(2026, 10, 11))
    assert account(policy) is None
    runs = JobRun.objects.filter(step="billing.apply_suspense")
    assert sum(c.rows for r in runs for c in r.chunks.all()) == 1  # once: 30 Nov, raised on 16 Oct
    assert services.apply_suspense_to_new_items(policy_id=policy.pk, as_of=date(2026, 11, 16)) is False


def test_the_counter_takes_what_a_closed_policys_payer_owes_and_no_more(client, world):
    """A lapsed policy takes no premium, but its payer may pay back what a reversal left them owing."""
    _to_recover(world.policy_a)
    Policy.objects.filter(pk=world.policy_a.pk).update(status=Status.LAPSED)
    with pytest.raises(services.PaymentRefused, match="only the 259.00 to recover from the payer"):
        services.payment_record(actor=SYSTEM, policy_id=world.policy_a.pk, amount=Decimal("259.01"), method="cash",
                                received_on=AS_OF, natural_key="cash:too-much", as_of=AS_OF)
    client.force_login(world.staff["counter"].user)
    url = reverse("billing:payment-new")
    assert 'value="259.00"' in client.get(f"{url}?policy={world.policy_a.pk}").content.decode()
    form = {"policy_number": world.policy_a.number, "amount": "300.00", "method": "cash",
            "received_on": AS_OF.isoformat(), "slip": "C-1"}
    too_much = client.post(url, form)
    assert too_much.status_code == 400 and "only the 259.00 to recover" in too_much.content.decode()
    paid = client.post(url, form | {"amount": "259.00"})
    assert paid.status_code == 302 and account(world.policy_a) is None
    receipt = client.get(paid["Location"]).content.decode()
    assert "makes good what the payer owed" in receipt
    other = client.post(url, form | {"amount": "1.00", "slip": "C-2"})  # nothing owed any more
    assert other.status_code == 400 and "it takes no premium." in other.content.decode()


def test_a_long_list_says_how_much_it_shows(client, world, monkeypatch):
    from lifecrm.billing import selectors

    monkeypatch.setattr(selectors, "SUSPENSE_LIST_LIMIT", 1)
    overpay(world.policy_a)
    overpay(world.policy_q, key="S-q")
    client.force_login(world.staff["branch"].user)
    body = client.get(reverse("billing:suspense")).content.decode()
    assert 'data-testid="suspense-more"' in body and "The 1 longest waiting of 2" in body
