"""Claims' pure rules at their boundaries: the day before, of and after each limit; working days across holidays and
make-up working days; CN, HK and TW where they differ."""
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from lifecrm.claims import rules
from lifecrm.claims.rules import BeneficiaryFacts, Flag, Outcome, StatusChange
from lifecrm.core.rules import Period, Unit, WorkingCalendar

D = date
DAYS30, DAYS3, DAYS10, DAYS60 = (Period(n, Unit.DAYS) for n in (30, 3, 10, 60))
WD5 = Period(5, Unit.WORKING_DAYS)
# CN around National Day 2026 as the State Council schedules it: 1–7 Oct off (Thu–Wed), Sun 27 Sep and Sat 10 Oct
# make-up working days (a synthetic copy: the pure rules take any calendar).
CN_OCT = WorkingCalendar("CN", {**{D(2026, 10, d): False for d in range(1, 8)}, D(2026, 9, 27): True,
                                D(2026, 10, 10): True})
# HK rests on Sundays only.
HK = WorkingCalendar("HK", {D(2026, 10, 1): False}, weekend=frozenset({6}))


# -- status machine -----------------------------------------------------------------------------------------------

def test_the_status_machine_refuses_skipping_steps():
    rules.check_transition("reported", "documents_pending")
    rules.check_transition("assessing", "awaiting_approval")
    rules.check_transition("decided", "paid")
    for current, target in (("reported", "decided"), ("paid", "reported"), ("closed", "assessing"),
                            ("decided", "withdrawn")):
        with pytest.raises(rules.TransitionRefused):
            rules.check_transition(current, target)


# -- cover on the event date ---------------------------------------------------------------------------------------

JOURNAL = [
    StatusChange(1, D(2022, 3, 31), "proposal"),
    StatusChange(2, D(2022, 3, 31), "in_force"),
    StatusChange(3, D(2024, 5, 1), "grace"),
    StatusChange(4, D(2024, 6, 30), "suspended"),
    StatusChange(5, D(2024, 9, 15), "reinstated"),
]


@pytest.mark.parametrize(("day", "covered"), [
    (D(2022, 3, 30), False),  # before issue
    (D(2022, 3, 31), True),  # issue day (in force beats proposal: journal order)
    (D(2024, 6, 29), True),  # last day of grace: grace counts as in force
    (D(2024, 6, 30), False),  # suspended
    (D(2024, 9, 14), False),  # the day before reinstatement
    (D(2024, 9, 15), True),  # reinstated
])
def test_cover_on_the_event_date_follows_the_journal(day, covered):
    assert rules.cover_in_force(JOURNAL, day) is covered


def test_the_last_reinstatement_before_the_event():
    assert rules.last_reinstatement(JOURNAL, D(2024, 9, 14)) is None
    assert rules.last_reinstatement(JOURNAL, D(2025, 1, 1)) == D(2024, 9, 15)


@pytest.mark.parametrize(("event", "waiting"), [
    (D(2026, 3, 31), True), (D(2026, 4, 1), True), (D(2026, 4, 2), False),  # day 90 after 1 Jan is 1 April
])
def test_waiting_period_last_day(event, waiting):
    assert rules.in_waiting_period(cover_start=D(2026, 1, 1), event_date=event, waiting_days=90) is waiting
    assert rules.in_waiting_period(cover_start=D(2026, 1, 1), event_date=event, waiting_days=0) is False


# -- suicide, contestability ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("jurisdiction", "years", "event", "excluded"), [
    ("CN", 2, D(2026, 3, 30), True), ("CN", 2, D(2026, 3, 31), True), ("CN", 2, D(2026, 4, 1), False),
    ("TW", 2, D(2026, 3, 31), True), ("TW", 2, D(2026, 4, 1), False),
    ("HK", 1, D(2025, 3, 31), True), ("HK", 1, D(2025, 4, 1), False),
])
def test_suicide_exclusion_from_issue(jurisdiction, years, event, excluded):
    period = Period(years, Unit.YEARS)
    assert rules.suicide_excluded(cause="suicide", issue_date=D(2024, 3, 31), reinstated_on=None, event_date=event,
                                  period=period) is excluded
    assert rules.suicide_excluded(cause="illness", issue_date=D(2024, 3, 31), reinstated_on=None,
                                  event_date=event, period=period) is False


def test_reinstatement_restarts_the_suicide_clock_and_29_february():
    two = Period(2, Unit.YEARS)
    # issued long ago, reinstated 29 Feb 2024: two years end 28 Feb 2026
    kwargs = dict(cause="suicide", issue_date=D(2015, 1, 1), reinstated_on=D(2024, 2, 29), period=two)
    assert rules.suicide_excluded(event_date=D(2026, 2, 28), **kwargs) is True
    assert rules.suicide_excluded(event_date=D(2026, 3, 1), **kwargs) is False


@pytest.mark.parametrize(("as_of", "learned", "after_learning", "possible"), [
    (D(2026, 3, 31), None, None, True), (D(2026, 4, 1), None, None, False),  # 2 years after formation
    (D(2025, 6, 30), D(2025, 5, 31), Period(30, Unit.DAYS), True),  # CN: 30 days after learning
    (D(2025, 7, 1), D(2025, 5, 31), Period(30, Unit.DAYS), False),
    (D(2025, 6, 30), D(2025, 5, 31), Period(1, Unit.MONTHS), True),  # TW: one month → 30 June
    (D(2025, 7, 1), D(2025, 5, 31), Period(1, Unit.MONTHS), False),
])
def test_rescission_right(as_of, learned, after_learning, possible):
    assert rules.rescission_possible(issue_date=D(2024, 3, 31), as_of=as_of, after_formation=Period(2, Unit.YEARS),
                                     learned_on=learned, after_learning=after_learning) is possible


def test_misstated_age_pays_in_proportion_of_the_premium_paid():
    assert rules.misstated_age_benefit(benefit=Decimal("500000"), premium_paid=Decimal("1339"),
                                       premium_due=Decimal("1500")) == Decimal("446333.33")
    assert rules.misstated_age_benefit(benefit=Decimal("500000"), premium_paid=Decimal("1600"),
                                       premium_due=Decimal("1500")) == Decimal("500000")
    assert rules.misstated_age_refund(premium_paid=Decimal("1600"), premium_due=Decimal("1500")) == Decimal("100")


@pytest.mark.parametrize(("amount", "small"), [
    (Decimal("2999.99"), True), (Decimal("3000.00"), False), (Decimal("3000.01"), False), (None, False)])
def test_small_claims_are_below_the_threshold(amount, small):
    assert rules.is_small_claim(amount, Decimal("3000")) is small


def test_fraud_flags():
    flags = rules.fraud_flags(event_date=D(2026, 6, 28), reported_on=D(2026, 7, 1), cover_start=D(2025, 12, 30),
                              sum_assured_increases=[D(2025, 7, 1)], other_claim_dates=[D(2024, 1, 1), D(2025, 1, 1)])
    assert flags == [Flag.EARLY_CLAIM, Flag.SUM_ASSURED_INCREASED, Flag.SEVERAL_CLAIMS]
    assert rules.fraud_flags(event_date=D(2026, 6, 29), reported_on=D(2026, 7, 1), cover_start=D(2025, 12, 30),
                             sum_assured_increases=[D(2025, 6, 28)], other_claim_dates=[D(2024, 1, 1)]) == []
    assert rules.fraud_flags(event_date=D(2024, 6, 1), reported_on=D(2025, 6, 2), cover_start=D(2020, 1, 1),
                             sum_assured_increases=[], other_claim_dates=[]) == [Flag.LATE_REPORT]


def test_the_five_year_limitation_is_the_claimants_deadline():
    five = Period(5, Unit.YEARS, customer_deadline=True)
    cal = WorkingCalendar("CN")
    # event 3 Oct 2021 → 3 Oct 2026 is a Saturday: the claimant has until Monday 5 Oct
    assert rules.time_barred(event_date=D(2021, 10, 3), reported_on=D(2026, 10, 5), limitation=five,
                             calendar=cal) is False
    assert rules.time_barred(event_date=D(2021, 10, 3), reported_on=D(2026, 10, 6), limitation=five,
                             calendar=cal) is True
    # across National Day in the synthetic CN calendar: 1–7 Oct are holidays → 8 Oct
    assert rules.time_barred(event_date=D(2021, 10, 2), reported_on=D(2026, 10, 8), limitation=five,
                             calendar=CN_OCT) is False
    assert rules.time_barred(event_date=D(2021, 10, 2), reported_on=D(2026, 10, 9), limitation=five,
                             calendar=CN_OCT) is True


# -- the clocks ------------------------------------------------------------------------------------------------

def test_the_decision_clock_is_30_days_from_the_first_receipt():
    due, stopped = rules.decision_due(first_receipt=D(2026, 11, 2), period=DAYS30, notice_reached_on=None,
                                      documents_complete_on=None)
    assert (due, stopped) == (D(2026, 12, 2), False)


def test_the_decision_clock_stands_while_the_claimant_supplies_documents():
    """Judicial Interp. II Art. 15: the days from the notice reaching the claimant to the documents reaching us
    do not count."""
    assert rules.decision_due(first_receipt=D(2026, 11, 2), period=DAYS30, notice_reached_on=D(2026, 11, 5),
                              documents_complete_on=None) == (None, True)
    assert rules.decision_due(first_receipt=D(2026, 11, 2), period=DAYS30, notice_reached_on=D(2026, 11, 5),
                              documents_complete_on=D(2026, 11, 17)) == (D(2026, 12, 14), False)
    # documents brought the day the notice arrived: nothing added
    assert rules.decision_due(first_receipt=D(2026, 11, 2), period=DAYS30, notice_reached_on=D(2026, 11, 5),
                              documents_complete_on=D(2026, 11, 5)) == (D(2026, 12, 2), False)


def _clocks(**overrides):
    kwargs = dict(first_receipt=D(2026, 9, 24), documents_complete_on=D(2026, 9, 25), notice_reached_on=None,
                  simple=True, decided_on=None, outcome=None, decision=DAYS30, simple_decision=WD5,
                  advance=DAYS60, refusal_notice=DAYS3, payment=DAYS10, calendar=CN_OCT)
    return rules.clocks(**(kwargs | overrides))


def test_simple_claims_count_5_working_days_across_holidays_and_make_up_days():
    # complete Fri 25 Sep: Sun 27 Sep (make-up) 1, Mon 28 2, Tue 29 3, Wed 30 4, 1–7 Oct off, Thu 8 Oct 5
    assert _clocks().simple_decision_due == D(2026, 10, 8)
    # without the make-up day and the holidays: Fri 2 Oct
    assert _clocks(calendar=WorkingCalendar("CN")).simple_decision_due == D(2026, 10, 2)
    # HK: Saturdays work, 1 Oct is a holiday: Sat 26, Mon 28, Tue 29, Wed 30, Fri 2 Oct
    assert _clocks(calendar=HK).simple_decision_due == D(2026, 10, 2)
    assert _clocks(simple=False).simple_decision_due is None


@pytest.mark.parametrize(("decided", "outcome", "refusal_due", "payment_due"), [
    (D(2026, 10, 28), Outcome.DECLINED, D(2026, 10, 31), None),
    (D(2026, 10, 28), Outcome.APPROVED, None, D(2026, 11, 7)),
    (D(2026, 10, 28), Outcome.PARTLY_APPROVED, None, D(2026, 11, 7)),
])
def test_refusal_notice_in_3_days_payment_in_10(decided, outcome, refusal_due, payment_due):
    found = _clocks(decided_on=decided, outcome=outcome)
    assert (found.refusal_notice_due, found.payment_due) == (refusal_due, payment_due)


def test_a_rule_the_jurisdiction_lacks_gives_no_clock():
    found = _clocks(decision=None, simple_decision=None, advance=None)
    assert (found.decision_due, found.simple_decision_due, found.advance_payment_due) == (None, None, None)


@pytest.mark.parametrize(("as_of", "owed"), [(D(2026, 11, 23), False), (D(2026, 11, 24), False),
                                              (D(2026, 11, 25), True)])
def test_advance_payment_when_still_open_60_days_after_the_documents(as_of, owed):
    due = _clocks().advance_payment_due
    assert due == D(2026, 11, 24)
    assert rules.advance_payment_owed(advance_due=due, as_of=as_of, decided=False) is owed
    assert rules.advance_payment_owed(advance_due=due, as_of=as_of, decided=True) is False


# -- payees ----------------------------------------------------------------------------------------------------

def _b(key, order, share, **kw):
    return BeneficiaryFacts(key=key, name=f"B{key}", order=order, share=share, **kw)


def test_payees_are_the_first_order_with_someone_left():
    payees = rules.death_payees([_b(1, 1, Fraction(1, 2)), _b(2, 1, Fraction(3, 10)), _b(3, 1, Fraction(1, 5)),
                                 _b(4, 2, Fraction(1))], estate_name="estate")
    assert [(p.key, p.share) for p in payees] == [(1, Fraction(1, 2)), (2, Fraction(3, 10)), (3, Fraction(1, 5))]


def test_a_share_of_one_who_died_first_goes_to_the_others_of_the_order_in_proportion():
    payees = rules.death_payees([_b(1, 1, Fraction(1, 2), died_first=True), _b(2, 1, Fraction(3, 10)),
                                 _b(3, 1, Fraction(1, 5))], estate_name="estate")
    assert [(p.key, p.share) for p in payees] == [(2, Fraction(3, 5)), (3, Fraction(2, 5))]


def test_nobody_left_in_the_first_order_the_next_order_then_the_estate():
    first = [_b(1, 1, Fraction(1), renounced=True)]
    assert [p.key for p in rules.death_payees(first + [_b(2, 2, None), _b(3, 2, None)], estate_name="e")] == [2, 3]
    assert rules.death_payees(first + [_b(2, 2, None), _b(3, 2, None)], estate_name="e")[0].share == Fraction(1, 2)
    estate = rules.death_payees(first + [_b(2, 2, Fraction(1), died_first=True)], estate_name="张伟的遗产")
    assert estate == [rules.Payee(None, "张伟的遗产", Fraction(1), estate=True)]
    assert rules.death_payees([], estate_name="e")[0].estate


def test_stored_percentages_read_as_fractions():
    assert rules.as_fraction(Decimal("33.33")) == Fraction(3333, 10000)
    assert rules.as_fraction(Fraction(1, 3)) == Fraction(1, 3)
    assert rules.as_fraction(None) is None
