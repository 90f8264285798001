"""`lifecrm seed` and billing: recent premiums, pending dues and mandates agree with each policy's history."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Min, Sum

from lifecrm.billing.generator import HISTORY_MONTHS
from lifecrm.billing.models import Allocation, DebitMandate, DueItem, Payment
from lifecrm.billing.services import DUE_ITEM_LEAD_DAYS
from lifecrm.core.actors import SYSTEM
from lifecrm.core.digest import book_digest, table_digest
from lifecrm.core.generator import generated_models
from lifecrm.core.models import JobChunk
from lifecrm.core.rules import add_months
from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.policies.models import Policy, PolicyVersion
from lifecrm.policies.rules import PREMIUM_PAYING, Status, due_date

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 25)
EVERYTHING = DataScope(ScopeKind.ALL, role="hq")


def seed(customers: int = 300, seed: int = 7, **options) -> None:
    call_command("seed", customers=str(customers), seed=str(seed), as_of=AS_OF.isoformat(), no_progress=True,
                 stdout=StringIO(), **options)


@pytest.fixture
def book(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    seed()


def _policies():
    modes = dict(PolicyVersion.objects.filter(effective_to__isnull=True).values_list("policy_id", "premium_mode"))
    return {p.pk: (p, modes[p.pk]) for p in Policy.objects.all()}


def test_billing_tables_are_generated_and_digested(book):
    labels = [m._meta.label for m in generated_models()]
    for label in ("billing.DueItem", "billing.Payment", "billing.Allocation", "billing.DebitMandate"):
        assert label in labels
    assert DueItem.objects.exists() and Payment.objects.exists() and DebitMandate.objects.exists()
    connection.check_constraints(table_names=[m._meta.db_table for m in generated_models()])
    for model in (DueItem, Payment, Allocation, DebitMandate):
        for row in model.objects.order_by("pk")[:40]:
            row.full_clean(validate_unique=False, validate_constraints=False)


def test_due_items_follow_paid_instalments(book):
    policies = _policies()
    items = defaultdict(dict)
    for item in DueItem.objects.all():
        assert item.kind == DueItem.Kind.PREMIUM
        items[item.policy_id][item.instalment] = item
    window_start = add_months(AS_OF, -HISTORY_MONTHS)
    horizon = AS_OF + timedelta(days=DUE_ITEM_LEAD_DAYS)
    for policy_id, (policy, mode) in policies.items():
        mine = items.get(policy_id, {})
        paid = policy.paid_instalments
        for instalment, item in mine.items():
            assert item.due_date == due_date(policy.issue_date, mode, instalment)
            assert item.currency == policy.currency
            if instalment < paid:
                assert item.status == DueItem.Status.PAID, (policy.number, instalment)
                assert item.paid_amount == item.amount
                assert item.paid_on is not None and policy.issue_date <= item.paid_on <= AS_OF
            else:
                assert item.status == DueItem.Status.OPEN, (policy.number, instalment)
                assert item.paid_amount == 0 and item.paid_on is None
        # the recent paid premiums are all there
        paid_recent = {k for k in range(paid) if window_start < due_date(policy.issue_date, mode, k) <= AS_OF}
        assert paid_recent <= set(mine), policy.number
        if policy.status in PREMIUM_PAYING:
            # the dues the daily batch has raised by the as-of date, none more
            expected = set()
            k = paid
            while k < policy.premium_term_years * (12 // {"annual": 12, "semiannual": 6, "quarterly": 3,
                                                           "monthly": 1}[mode]):
                if due_date(policy.issue_date, mode, k) > horizon:
                    break
                expected.add(k)
                k += 1
            assert {k for k in mine if k >= paid} == expected, policy.number
        if policy.status in (Status.GRACE, Status.SUSPENDED):
            first = mine[paid]
            assert first.status == DueItem.Status.OPEN and first.due_date < AS_OF and first.grace_end is not None
            assert policy.paid_to_date == first.due_date
        if policy.status == Status.SUSPENDED:
            assert first.grace_end < policy.status_date
        if policy.status == Status.IN_FORCE:
            assert not any(i.due_date < AS_OF for i in mine.values() if i.status == DueItem.Status.OPEN)
    statuses = {p.status for p, _ in policies.values()}
    assert Status.GRACE in statuses and Status.SUSPENDED in statuses


def test_payments_and_allocations_match_paid_amounts(book):
    paid_items = DueItem.objects.filter(status=DueItem.Status.PAID)
    allocated = dict(Allocation.objects.values_list("due_item_id").annotate(s=Sum("amount")))
    for item_id, paid_amount in paid_items.values_list("pk", "paid_amount"):
        assert allocated[item_id] == paid_amount
    assert not Allocation.objects.filter(due_item__status=DueItem.Status.OPEN).exists()
    for payment in Payment.objects.annotate(total=Sum("allocations__amount"), n=Count("allocations")):
        assert payment.n == 1 and payment.total == payment.amount
        assert payment.natural_key.startswith(f"seed:{payment.policy_id}:")
        item = payment.allocations.get().due_item
        assert item.policy_id == payment.policy_id and item.paid_on == payment.received_on
    assert Payment.objects.count() == paid_items.count()
    assert Payment.objects.values("receipt_no").distinct().count() == Payment.objects.count()
    cent = Decimal("0.01")
    total_paid = paid_items.aggregate(s=Sum("paid_amount"))["s"].quantize(cent)  # SQLite sums in floats
    assert total_paid == Payment.objects.aggregate(s=Sum("amount"))["s"].quantize(cent) > Decimal(0)


def test_mandates_exactly_for_auto_debit_policies(book):
    auto_debit = set(PolicyVersion.objects.filter(effective_to__isnull=True, payment_method="auto_debit")
                     .values_list("policy_id", flat=True))
    mandates = list(DebitMandate.objects.select_related("policy"))
    assert {m.policy_id for m in mandates} == auto_debit
    assert len(mandates) == len(auto_debit)
    for mandate in mandates[:50]:
        assert mandate.cancelled_on is None
        assert mandate.account_number.isdigit() and mandate.account_number.endswith(mandate.account_last4)
        assert len(mandate.bank_code) == 12 and mandate.bank_name  # CNAPS
        assert mandate.signed_on <= mandate.policy.issue_date
        assert mandate.debtor_name == mandate.policy.owner.name
    raw = connection.cursor()
    raw.execute(f"SELECT account_number FROM {DebitMandate._meta.db_table} LIMIT 1")  # noqa: S608
    assert not raw.fetchone()[0].isdigit()  # stored encrypted


def _state():
    tables = [DueItem, Payment, Allocation, DebitMandate, Policy]
    state = {m._meta.label: table_digest(m).sha256 for m in tables}
    from lifecrm.billing.models import Collection, Reminder
    from lifecrm.policies.models import PolicyEvent

    for model in (Collection, Reminder, PolicyEvent):
        state[model._meta.label] = model.objects.count()
    return state


def test_run_daily_on_the_seeded_book(book):
    before_items = DueItem.objects.count()
    statuses = dict(Policy.objects.values_list("pk", "status"))
    call_command("run-daily", as_of=AS_OF.isoformat(), no_progress=True, stdout=StringIO())
    # the book is what the daily batch leaves at its as-of date: nothing to raise, nobody changes status
    raised = JobChunk.objects.filter(run__step="billing.raise_due_items").aggregate(s=Sum("rows"))["s"] or 0
    assert raised == 0
    assert DueItem.objects.count() == before_items
    assert dict(Policy.objects.values_list("pk", "status")) == statuses
    after_first = _state()
    call_command("run-daily", as_of=AS_OF.isoformat(), no_progress=True, stdout=StringIO())
    assert _state() == after_first


def test_same_seed_same_digest(settings, tmp_path):
    seed(customers=120, seed=3)
    first = book_digest()
    assert {t.label for t in first.tables} >= {"billing.DueItem", "billing.Payment", "billing.DebitMandate"}
    seed(customers=120, seed=3, replace=True)
    assert book_digest() == first
    seed(customers=120, seed=4, replace=True)
    assert book_digest().sha256 != first.sha256


def test_the_raise_bookmarks_read_only_what_may_need_raising_and_miss_nothing(book):
    """Two months of daily batches (raise, grace, suspension, lapse), with premium modes changed on the way,
    raise the same due items whether the raise step trusts its bookmarks or reads every premium-paying
    policy every day (its bookmarks deleted each morning)."""
    from django.db import transaction

    from lifecrm.billing import jobs
    from lifecrm.billing.models import RaiseBookmark
    from lifecrm.policies.services import policy_new_version

    days = [AS_OF + timedelta(days=n) for n in range(1, 62)]
    last = Policy.objects.order_by("-pk").values_list("pk", flat=True).first()
    changed = list(PolicyVersion.objects.filter(effective_to__isnull=True, premium_mode="annual",
                                                policy__status__in=PREMIUM_PAYING)
                   .order_by("policy_id").values_list("policy_id", flat=True)[:15])
    read: list[int] = []

    def batches(*, trust_bookmarks: bool) -> set:
        for day in days:
            if not trust_bookmarks:
                RaiseBookmark.objects.all().delete()
            read.append(len(jobs.raise_due_items.ids(day)))
            for step in (jobs.raise_due_items, jobs.start_grace, jobs.suspend_after_grace, jobs.lapse_after_window):
                step.process(day, 0, last)
            if day == days[20]:  # annual payers switch to monthly premiums from their next month
                for pk in changed:
                    policy_new_version(actor=SYSTEM, policy_id=pk, effective_from=day + timedelta(days=1), as_of=day,
                                       changes={"premium_mode": "monthly"}, reason="test: mode change")
        return set(DueItem.objects.values_list("policy_id", "kind", "instalment", "due_date", "amount", "raised_on"))

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            bookmarked = batches(trust_bookmarks=True)
            reads_with_bookmarks = read[1:]
            raise Rollback
    except Rollback:
        pass
    read.clear()
    everything = batches(trust_bookmarks=False)
    assert bookmarked == everything
    assert len({row for row in everything if row[5] > AS_OF}) > 200  # two months of premiums were raised
    assert {row[0] for row in everything if row[5] > days[20]} & set(changed)  # the changed modes raised on
    # after the first day, a day reads a small part of what the full scan reads
    assert sum(reads_with_bookmarks) * 5 < sum(read[1:])


def test_every_policy_page_says_from_when_its_premium_history_is_kept(book, client):
    """The book keeps payments for HISTORY_MONTHS only: a policy whose paid premiums are older says, on its billing
    section, when the records begin and how many premiums were paid before, instead of "premiums paid 2" beside
    "no payment recorded"."""
    from django.utils import translation

    from lifecrm.billing.models import LedgerOpening
    from lifecrm.billing.views.pages import policy_billing

    opening = LedgerOpening.objects.get()
    assert opening.opened_on == add_months(AS_OF, -HISTORY_MONTHS)
    first_instalment = dict(DueItem.objects.filter(kind="premium").values("policy_id")
                            .annotate(first=Min("instalment")).values_list("policy_id", "first"))
    without_payments = with_older_premiums = 0
    for policy in Policy.objects.filter(paid_instalments__gt=0).order_by("pk"):
        paid_before = min(first_instalment.get(policy.pk, policy.paid_instalments), policy.paid_instalments)
        billing = policy_billing(scope=EVERYTHING, policy_id=policy.pk, as_of=AS_OF)
        assert billing.history.paid_before == paid_before and billing.history.kept_from == opening.opened_on
        # every premium paid is either in the schedule (paid) or counted before the records begin
        paid_items = sum(1 for row in billing.due_items if row.item.kind == "premium" and row.item.status == "paid")
        assert paid_before + paid_items == policy.paid_instalments
        without_payments += not billing.payments
        with_older_premiums += paid_before > 0
    assert without_payments > 20 and with_older_premiums > without_payments
    shown = Policy.objects.filter(paid_instalments__gt=0).exclude(payments__isnull=False).first()
    with translation.override("en"):
        html = render_billing(shown)
    assert f"Premium records begin on {opening.opened_on:%Y-%m-%d}" in html
    assert f"{shown.paid_instalments} premium" in html and "No payment recorded." in html


def render_billing(policy) -> str:
    from django.template.loader import render_to_string

    from lifecrm.billing.views.pages import policy_billing

    return render_to_string("billing/partials/policy_billing.html", {
        "billing": policy_billing(scope=EVERYTHING, policy_id=policy.pk, as_of=AS_OF)})
