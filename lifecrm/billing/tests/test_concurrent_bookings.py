"""Bookings of one policy at the same moment, each on its own database connection (threads, PostgreSQL): two counter
clerks and a bank file's debit, and two clerks with head office importing the bank's result file (twice). Nothing is lost or applied twice: the policy's row lock queues them (its receipt
series first, see services._next_receipt_no), and the policy's version, its optimistic lock, moves with every
booking, so a writer who read the policy before refuses to overwrite it."""
from __future__ import annotations

import hashlib
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Sum

from lifecrm.banking.models import BankFile
from lifecrm.billing.debits.export import debit_export
from lifecrm.billing.debits.imports import bank_file_import
from lifecrm.billing.models import Allocation, Collection, DueItem, Payment
from lifecrm.billing.reconciliation import ledger_differences_find
from lifecrm.billing.selectors import suspense_balance
from lifecrm.billing.services import DuplicatePayment, due_items_raise, payment_record
from lifecrm.billing.tests.test_grace_boundary_debits import pain002
from lifecrm.core.actors import SYSTEM
from lifecrm.policies.models import Policy, PolicyVersion
from lifecrm.policies.services import StaleVersion, policy_new_version
from tests.factories import make_customer, make_mandate, make_org, make_policy, make_staff

AS_OF = date(2026, 11, 25)
PREMIUM = Decimal("120.50")


@pytest.fixture
def overdue_policy(db):
    """A monthly policy issued 2026-08-31 with its premiums raised to the horizon, none paid since the first: in grace
    for its premium of 2026-09-30 on AS_OF, four premiums open."""
    org = make_org()
    owner = make_customer(branch=org.branch_a)
    policy = make_policy(owner=owner, agent=None, branch=org.branch_a, issue_date=date(2026, 8, 31),
                         as_of=date(2026, 8, 31), modal_premium=PREMIUM)
    due_items_raise(as_of=AS_OF, first_id=policy.pk, last_id=policy.pk)
    return org, Policy.objects.get(pk=policy.pk)


def at_once(*calls):
    """Run the calls on their own threads (own connections), released together; their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(n, call):
        try:
            barrier.wait(timeout=30)
            results[n] = call()
        except Exception as exc:  # noqa: BLE001  (the caller asserts on it)
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def book(policy, staff, key, method="cash"):
    return lambda: payment_record(actor=staff.user if staff else SYSTEM, policy_id=policy.pk, amount=PREMIUM,
                                  method=method, received_on=AS_OF, natural_key=key, as_of=AS_OF, booked_by=staff)


@pytest.mark.django_db(transaction=True)
def test_two_clerks_and_a_bank_debit_booking_one_policy_at_once_lose_nothing(overdue_policy):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite takes one writer at a time)")
    org, policy = overdue_policy
    clerks = [make_staff("counter", org.branch_a), make_staff("counter", org.branch_a)]
    paid_before, version_before = policy.paid_instalments, policy.version
    results = at_once(book(policy, clerks[0], "till-1:0001"), book(policy, clerks[1], "till-2:0001"),
                      book(policy, None, "E2E-20261125-1", method="auto_debit"),
                      book(policy, None, "E2E-20261125-1", method="auto_debit"))  # the same debit line twice
    payments = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(payments) == 3 and len(refused) == 1 and isinstance(refused[0], DuplicatePayment), results
    assert len({p.receipt_no for p in payments}) == 3

    policy.refresh_from_db()
    assert policy.paid_instalments == paid_before + 3  # three premiums paid, none lost, none twice
    assert policy.version >= version_before + 3  # each booking moved the optimistic lock on (and grace ended)
    assert policy.status == "in_force"
    for item in DueItem.objects.filter(policy=policy):
        allocated = item.allocations.aggregate(s=Sum("amount"))["s"] or 0
        assert allocated == item.paid_amount <= item.amount
    assert Allocation.objects.filter(payment__policy=policy).aggregate(s=Sum("amount"))["s"] == 3 * PREMIUM
    assert ledger_differences_find(as_of=AS_OF, first_id=policy.pk, last_id=policy.pk) == []


@pytest.mark.django_db(transaction=True)
def test_a_policy_edited_concurrently_refuses_the_second_writer(overdue_policy):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite takes one writer at a time)")
    org, policy = overdue_policy
    read = policy.version
    change = lambda amount: lambda: policy_new_version(  # noqa: E731
        actor=SYSTEM, policy_id=policy.pk, effective_from=date(2026, 11, 30), as_of=AS_OF,
        changes={"sum_assured": Decimal(amount)}, reason="sum assured changed", expected_version=read)
    results = at_once(change("600000.00"), change("700000.00"))
    stale = [r for r in results if isinstance(r, StaleVersion)]
    assert len(stale) == 1 and sum(isinstance(r, PolicyVersion) for r in results) == 1, results
    assert "changed by someone else" in str(stale[0]) and "reload" in str(stale[0])
    assert Policy.objects.get(pk=policy.pk).version == read + 1


@pytest.mark.django_db
def test_a_payment_moves_the_version_on_so_a_change_read_before_it_is_refused(overdue_policy):
    """Billing writes the premiums paid through the policy's lock: a servicing change worked out on the paid-to
    date the clerk saw before the payment is refused, not applied over it."""
    org, policy = overdue_policy
    read = policy.version
    payment_record(actor=SYSTEM, policy_id=policy.pk, amount=PREMIUM, method="cash", received_on=AS_OF,
                   natural_key="till-9:0001", as_of=AS_OF)
    with pytest.raises(StaleVersion, match=rf"policy {policy.number} was changed by someone else since you read it "
                                           rf"\(it is at version \d+, you read version {read}\): reload it"):
        policy_new_version(actor=SYSTEM, policy_id=policy.pk, effective_from=date(2026, 11, 30), as_of=AS_OF,
                           changes={"sum_assured": Decimal("600000.00")}, reason="sum assured changed",
                           expected_version=read)
    now = Policy.objects.get(pk=policy.pk).version
    assert now > read
    assert policy_new_version(actor=SYSTEM, policy_id=policy.pk, effective_from=date(2026, 11, 30), as_of=AS_OF,
                              changes={"sum_assured": Decimal("600000.00")}, reason="sum assured changed",
                              expected_version=now).version_no == 2
    assert Policy.objects.get(pk=policy.pk).version == now + 1


@pytest.fixture
def debited_policy(db, settings, tmp_path):
    """A monthly policy paying by direct debit, its premium of 2026-09-30 sent to the bank (a pain.008 collection)
    and no answer yet."""
    settings.VAR_DIR = tmp_path
    org = make_org()
    owner = make_customer(branch=org.branch_a)
    policy = make_policy(owner=owner, agent=None, branch=org.branch_a, issue_date=date(2026, 8, 31),
                         as_of=date(2026, 8, 31), modal_premium=PREMIUM, payment_method="auto_debit")
    make_mandate(policy)
    day = date(2026, 9, 20)
    while not Collection.objects.filter(due_item__policy=policy).exists():  # the export's lead time
        assert day < date(2026, 9, 30), "no export of the premium due 30 Sep"
        call_command("run-daily", as_of=str(day), no_progress=True)
        debit_export(as_of=day)
        day += timedelta(days=1)
    return org, Policy.objects.get(pk=policy.pk), Collection.objects.get(due_item__policy=policy)


@pytest.mark.django_db(transaction=True)
def test_two_clerks_and_the_bank_result_file_booking_one_policy_at_once_lose_nothing(debited_policy):
    """The bank import itself (`bank_file_import`, head office's), twice with the same file, at the moment two
    counter clerks take cash for the same policy: every payment booked once, the file applied once, no
    allocation over a due amount, the ledger's invariants hold."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite takes one writer at a time)")
    org, policy, collection = debited_policy
    on = date(2026, 10, 2)
    clerks = [make_staff("counter", org.branch_a), make_staff("counter", org.branch_a)]
    head_office = make_staff("hq", org.hq)
    result_file = pain002(collection, date(2026, 10, 1))
    last_before = Payment.objects.filter(policy=policy).order_by("-pk").values_list("pk", flat=True).first() or 0

    def cash(staff, key):
        return lambda: payment_record(actor=staff.user, policy_id=policy.pk, amount=PREMIUM, method="cash",
                                      received_on=on, natural_key=key, as_of=on, booked_by=staff)

    def bank_import():
        return bank_file_import(content=result_file, filename="PSR-20261001.xml", as_of=on,
                                actor=head_office.user)

    results = at_once(cash(clerks[0], "till-1:0001"), cash(clerks[1], "till-2:0001"), bank_import, bank_import)
    failures = [r for r in results if isinstance(r, Exception)]
    assert not failures, failures
    reports = results[2:]
    assert sorted(r.already_imported for r in reports) == [False, True]  # the same bytes applied once
    assert sum(r.paid for r in reports) == 1
    assert BankFile.objects.filter(sha256=hashlib.sha256(result_file).hexdigest()).count() == 1

    collection.refresh_from_db()
    assert collection.status == "paid"
    booked = Payment.objects.filter(policy=policy, pk__gt=last_before)
    assert booked.count() == 3  # two tills and the debit, none lost, none twice
    assert booked.filter(method="auto_debit").count() == 1
    allocated = Allocation.objects.filter(payment__in=booked).aggregate(s=Sum("amount"))["s"] or 0
    assert allocated + suspense_balance(policy_id=policy.pk) == 3 * PREMIUM  # every cent placed, once
    for item in DueItem.objects.filter(policy=policy):
        paid = item.allocations.aggregate(s=Sum("amount"))["s"] or 0
        assert paid == item.paid_amount <= item.amount
    assert ledger_differences_find(as_of=on, first_id=policy.pk, last_id=policy.pk) == []
