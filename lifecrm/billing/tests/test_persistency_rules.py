"""Persistency's pure core: which premium, which month, the judgement point, exclusions, rounding. No database."""
from datetime import date
from decimal import Decimal

import pytest

from lifecrm.billing.persistency import (
    Judgement,
    Outcome,
    PersistencyRow,
    PolicyFacts,
    Reason,
    StatusChange,
    Termination,
    TerminationKind,
    WindowPremium,
    issue_window,
    judge_policy,
    percent,
    reporting_month,
    reporting_months,
    status_on,
    termination_from_journal,
    window_due_date,
    window_instalment,
    window_premium_paid,
)

ISSUE = date(2024, 1, 10)
DUE = date(2025, 1, 10)
GRACE_END = date(2025, 3, 11)  # 60 days after the due date


def facts(**changes) -> PolicyFacts:
    values = dict(policy_id=1, issue_date=ISSUE, premium_mode="annual", annual_premium=Decimal("1000.00"),
                  premium_term_years=20, due_date=DUE, grace_end=GRACE_END, paid=True, paid_on=DUE)
    return PolicyFacts(**(values | changes))


@pytest.mark.parametrize(("mode", "m13", "m25"), [
    ("annual", 1, 2), ("semiannual", 2, 4), ("quarterly", 4, 8), ("monthly", 12, 24),
])
def test_the_window_premium_is_the_one_due_on_the_first_day_of_policy_month_13_or_25(mode, m13, m25):
    assert (window_instalment(mode, 13), window_instalment(mode, 25)) == (m13, m25)


def test_window_due_dates_are_counted_from_the_issue_date_month_end_safe():
    assert window_due_date(date(2024, 1, 31), 13) == date(2025, 1, 31)
    assert window_due_date(date(2024, 1, 31), 25) == date(2026, 1, 31)
    # Leap day: 28 Feb in common years, and the reporting month stays February.
    assert window_due_date(date(2024, 2, 29), 13) == date(2025, 2, 28)
    assert window_due_date(date(2024, 2, 29), 25) == date(2026, 2, 28)
    assert reporting_month(date(2024, 2, 29), 13) == date(2025, 2, 1)
    assert reporting_month(date(2024, 1, 31), 13) == date(2025, 1, 1)
    assert reporting_month(date(2023, 12, 31), 25) == date(2025, 12, 1)


def test_the_reporting_period_observes_the_issue_months_twelve_or_twenty_four_months_earlier():
    assert issue_window(date(2025, 1, 1), date(2025, 12, 1), 13) == (date(2024, 1, 1), date(2024, 12, 31))
    assert issue_window(date(2025, 1, 15), date(2025, 2, 3), 25) == (date(2023, 1, 1), date(2023, 2, 28))
    assert issue_window(date(2025, 3, 1), date(2025, 3, 31), 13) == (date(2024, 3, 1), date(2024, 3, 31))
    assert reporting_months(date(2024, 11, 5), date(2025, 1, 1)) == [
        date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1)]
    with pytest.raises(ValueError, match="ends before it starts"):
        reporting_months(date(2025, 2, 1), date(2025, 1, 31))
    with pytest.raises(ValueError, match="13 or 25"):
        window_due_date(ISSUE, 12)


def test_judged_only_after_the_last_day_of_grace():
    assert judge_policy(facts(), as_of=GRACE_END) == Judgement(Outcome.PENDING, Reason.IN_GRACE, GRACE_END)
    assert judge_policy(facts(), as_of=date(2025, 3, 12)) == Judgement(Outcome.PERSISTING, Reason.PAID, GRACE_END)
    unpaid = facts(paid=False, paid_on=None)
    assert judge_policy(unpaid, as_of=date(2025, 2, 1)).outcome == Outcome.PENDING
    assert judge_policy(unpaid, as_of=date(2025, 3, 12)) == Judgement(
        Outcome.NOT_PERSISTING, Reason.UNPAID, GRACE_END)


def test_paid_on_the_last_day_of_grace_persists_paid_the_day_after_does_not():
    assert judge_policy(facts(paid_on=GRACE_END), as_of=date(2025, 6, 1)).outcome == Outcome.PERSISTING
    late = judge_policy(facts(paid_on=date(2025, 3, 12)), as_of=date(2025, 6, 1))
    assert (late.outcome, late.reason) == (Outcome.NOT_PERSISTING, Reason.PAID_LATE)
    # Paid, date unknown (older than the billing history): counts as paid in time.
    assert judge_policy(facts(paid_on=None), as_of=date(2025, 6, 1)).outcome == Outcome.PERSISTING


@pytest.mark.parametrize(("kind", "reason"), [
    (TerminationKind.DEATH, Reason.DEATH),
    (TerminationKind.COOLING_OFF, Reason.COOLING_OFF),
    (TerminationKind.CONTRACT_TERMS, Reason.CONTRACT_TERMS),
])
def test_death_cooling_off_and_contract_terms_exclude_up_to_the_grace_end(kind, reason):
    on_last_day = facts(paid=False, paid_on=None, termination=Termination(kind, GRACE_END))
    assert judge_policy(on_last_day, as_of=date(2025, 6, 1)) == Judgement(Outcome.EXCLUDED, reason, GRACE_END)
    # Known exclusions are reported at once, before the grace end.
    early = facts(paid=False, paid_on=None, termination=Termination(kind, date(2025, 2, 1)))
    assert judge_policy(early, as_of=date(2025, 2, 2)).outcome == Outcome.EXCLUDED
    # …but not before they happen, and not after the judgement point.
    assert judge_policy(early, as_of=date(2025, 1, 31)).outcome == Outcome.PENDING
    after = facts(paid=False, paid_on=None, termination=Termination(kind, date(2025, 3, 12)))
    assert judge_policy(after, as_of=date(2025, 6, 1)).outcome == Outcome.NOT_PERSISTING


@pytest.mark.parametrize(("kind", "reason"), [
    (TerminationKind.SURRENDER, Reason.SURRENDERED), (TerminationKind.LAPSE, Reason.LAPSED),
])
def test_surrender_and_lapse_fail_but_only_at_the_judgement_point(kind, reason):
    surrendered = facts(termination=Termination(kind, date(2025, 2, 1)))  # even though the premium was paid
    assert judge_policy(surrendered, as_of=date(2025, 2, 2)).outcome == Outcome.PENDING
    assert judge_policy(surrendered, as_of=date(2025, 3, 12)) == Judgement(
        Outcome.NOT_PERSISTING, reason, date(2025, 2, 1))
    later = facts(termination=Termination(kind, date(2025, 3, 12)))
    assert judge_policy(later, as_of=date(2025, 6, 1)).outcome == Outcome.PERSISTING


def test_no_window_premium_by_the_contracts_terms_and_single_premium_outside_the_cohort():
    one_year_cover = facts(cover_end=DUE)  # a one-year term ends the day the 13th-month premium would fall due
    assert judge_policy(one_year_cover, as_of=date(2025, 6, 1)) == Judgement(
        Outcome.EXCLUDED, Reason.CONTRACT_TERMS, DUE)
    monthly_one_year = facts(premium_mode="monthly", premium_term_years=1)
    assert judge_policy(monthly_one_year, as_of=date(2025, 6, 1)).reason == Reason.CONTRACT_TERMS
    single = judge_policy(facts(premium_term_years=1), as_of=date(2025, 6, 1))
    assert (single.outcome, single.reason, single.in_cohort) == (Outcome.NOT_IN_COHORT, Reason.SINGLE_PREMIUM, False)


def test_the_journal_gives_the_first_termination_and_death_by_its_kind_data_or_the_insureds_death():
    journal = [
        StatusChange(date(2024, 1, 10), "in_force", "issued", 2),
        StatusChange(date(2025, 2, 1), "terminated", "transition", 3),
        StatusChange(date(2024, 1, 1), "proposal", "proposed", 1),
    ]
    assert termination_from_journal(journal, as_of=date(2025, 6, 1)) == Termination(
        TerminationKind.CONTRACT_TERMS, date(2025, 2, 1))
    assert termination_from_journal(journal, as_of=date(2025, 1, 31)) is None
    death = [StatusChange(date(2025, 2, 1), "terminated", "death_claim", 3)]
    assert termination_from_journal(death, as_of=date(2025, 6, 1)).kind == TerminationKind.DEATH
    by_data = [StatusChange(date(2025, 2, 1), "terminated", "claim", 3, "death")]
    assert termination_from_journal(by_data, as_of=date(2025, 6, 1)).kind == TerminationKind.DEATH
    # The insured died in grace; the claim is not yet registered.
    assert termination_from_journal(journal[:1], as_of=date(2025, 6, 1), insured_died_on=date(2025, 1, 20)) == (
        Termination(TerminationKind.DEATH, date(2025, 1, 20)))
    assert termination_from_journal(
        [StatusChange(date(2024, 1, 20), "cooling_off_cancelled", "transition", 2)], as_of=date(2025, 6, 1)
    ) == Termination(TerminationKind.COOLING_OFF, date(2024, 1, 20))
    assert status_on(journal, date(2025, 1, 31)) == "in_force"
    assert status_on(journal, date(2023, 12, 31)) is None


def test_paid_per_the_due_item_else_per_paid_instalments_unless_suspended_after_the_grace_end():
    paid_item = WindowPremium("paid", paid_on=date(2025, 1, 9))
    assert window_premium_paid(due_item=paid_item, paid_instalments=0, instalment=1,
                               status_after_grace=None) == (True, date(2025, 1, 9))
    for status in ("open", "cancelled"):
        assert window_premium_paid(due_item=WindowPremium(status), paid_instalments=5, instalment=1,
                                   status_after_grace="in_force") == (False, None)
    assert window_premium_paid(due_item=None, paid_instalments=2, instalment=1, status_after_grace="in_force") == (
        True, None)
    assert window_premium_paid(due_item=None, paid_instalments=1, instalment=1, status_after_grace=None) == (
        False, None)
    # Reinstated later: paid_instalments caught up, but it was suspended the day after the grace end.
    assert window_premium_paid(due_item=None, paid_instalments=3, instalment=1,
                               status_after_grace="suspended") == (False, None)


def test_ratios_are_exact_and_rounded_half_up_to_a_hundredth_of_a_percent_only_at_output():
    assert percent(Decimal(1) / Decimal(32)) == Decimal("3.13")  # 3.125 %: half-up, not to even
    assert percent(Decimal(2) / Decimal(3)) == Decimal("66.67")
    assert percent(Decimal("0.000049")) == Decimal("0.00")
    assert percent(None) is None
    row = PersistencyRow("x", "x")
    for premium, outcome in [("1.00", Outcome.PERSISTING), ("31.00", Outcome.NOT_PERSISTING),
                             ("5.00", Outcome.EXCLUDED), ("7.00", Outcome.PENDING)]:
        row.add(Judgement(outcome, Reason.PAID, None), Decimal(premium))
    row.add(Judgement(Outcome.NOT_IN_COHORT, Reason.SINGLE_PREMIUM, None), Decimal("100.00"))
    assert (row.cohort, row.excluded, row.pending, row.judged, row.persisting, row.not_persisting) == (4, 1, 1, 2, 1, 1)
    assert row.premium_ratio == Decimal("0.03125")
    assert (row.count_pct, row.premium_pct) == (Decimal("50.00"), Decimal("3.13"))
    assert PersistencyRow("empty", "empty").count_pct is None
