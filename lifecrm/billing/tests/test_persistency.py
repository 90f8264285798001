"""Persistency on hand-built cohorts: the 13th and 25th month, exclusions, pending, month ends, scope, queries."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecrm.billing.models import DueItem
from lifecrm.billing.persistency import (
    Outcome,
    Reason,
    persistency_overview,
    persistency_policies,
    persistency_report,
    persistency_reports,
    persistency_trend,
)
from lifecrm.billing.rules import grace_period_end
from lifecrm.billing.selectors import grace_rules_for
from lifecrm.core.actors import SYSTEM
from lifecrm.core.selectors import clear_caches, working_calendar
from lifecrm.org.rules import DataScope, ScopeKind, scope_for
from lifecrm.parties.models import Customer
from lifecrm.policies.models import Policy
from lifecrm.policies.services import policy_transition
from tests.factories import make_customer, make_org, make_policy, make_product, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
HQ = DataScope(ScopeKind.ALL)
AS_OF = date(2025, 6, 30)
JAN_2025 = dict(period_start=date(2025, 1, 1), period_end=date(2025, 1, 31))
LATER = date(2027, 1, 1)  # the business date the test's history is written on


@pytest.fixture
def org():
    return make_org()


@pytest.fixture
def agent(org):
    return make_staff("agent", org.team_a)


def issued(unit, agent, issue_date: date, annual: str, *, mode: str = "annual", **fields) -> Policy:
    per_year = {"annual": 1, "semiannual": 2, "quarterly": 4, "monthly": 12}[mode]
    owner = make_customer(branch=unit, agent=agent)
    return make_policy(owner=owner, agent=agent, branch=unit, issue_date=issue_date, premium_mode=mode,
                       annual_premium=Decimal(annual), modal_premium=Decimal(annual) / per_year, as_of=LATER,
                       **fields)


def due_item(policy, instalment: int, due: date, *, paid_on: date | None = None, grace_end: date | None = None,
             status: str | None = None) -> DueItem:
    amount = policy.versions.get().modal_premium
    return DueItem.objects.create(
        policy=policy, instalment=instalment, due_date=due, amount=amount, currency="CNY",
        status=status or ("paid" if paid_on else "open"), paid_amount=amount if paid_on else 0, paid_on=paid_on,
        grace_end=grace_end, raised_on=due - timedelta(days=45),
    )


def paid_instalments(policy, count: int) -> None:
    Policy.objects.filter(pk=policy.pk).update(paid_instalments=count)


def move(policy, *steps) -> None:
    for to_status, on, *kind in steps:
        policy_transition(actor=SYSTEM, policy_id=policy.pk, to_status=to_status, effective_date=on, as_of=LATER,
                          kind=kind[0] if kind else "transition")


def cn_grace_end(due: date, mode: str = "annual") -> date:
    grace = grace_rules_for(jurisdiction="CN", grace_basis="due_date", premium_mode=mode)
    return grace_period_end(rules=grace, due=due, calendar=working_calendar("CN"))


@pytest.fixture
def cohort(org, agent):
    """Ten annual policies issued in January 2024; their 13th-month (2nd) premium falls due in January 2025."""
    a = org.branch_a
    p = {}
    p[1] = issued(a, agent, date(2024, 1, 2), "1000.00")
    due_item(p[1], 1, date(2025, 1, 2), paid_on=date(2025, 1, 2))  # paid on the due date
    p[2] = issued(a, agent, date(2024, 1, 5), "2000.00")
    due_item(p[2], 1, date(2025, 1, 5), paid_on=date(2025, 2, 4))  # paid in grace
    p[3] = issued(a, agent, date(2024, 1, 8), "3000.00")
    # Paid on the last day of grace (e.g. an automatic premium loan at the grace end).
    due_item(p[3], 1, date(2025, 1, 8), paid_on=date(2025, 3, 10), grace_end=date(2025, 3, 10))
    p[4] = issued(a, agent, date(2024, 1, 11), "4000.00")
    paid_instalments(p[4], 2)  # older than the billing history: no due item, two premiums paid
    p[5] = issued(a, agent, date(2024, 1, 15), "5000.00")
    paid_instalments(p[5], 3)  # paid a year ahead
    p[6] = issued(a, agent, date(2024, 1, 31), "6000.00")
    due_item(p[6], 1, date(2025, 1, 31), paid_on=date(2024, 12, 20))  # month end, paid ahead of the due date
    # Lapsed at the 13th month: unpaid through grace, suspended the day after it ended.
    p[7] = issued(a, agent, date(2024, 1, 12), "1234.56")
    due_item(p[7], 1, date(2025, 1, 12), grace_end=date(2025, 3, 13))
    move(p[7], ("grace", date(2025, 1, 13)), ("suspended", date(2025, 3, 14)))
    # No due item (older than the billing history): suspended after the grace end, reinstated in May 2025;
    # its paid_instalments has caught up since, but the 13th-month premium was not paid in time.
    p[8] = issued(a, agent, date(2024, 1, 20), "2000.00")
    grace_end_8 = cn_grace_end(date(2025, 1, 20))
    move(p[8], ("grace", date(2025, 1, 21)), ("suspended", grace_end_8 + timedelta(days=1)),
         ("reinstated", date(2025, 5, 20)))
    paid_instalments(p[8], 2)
    # Died in the grace period, premium unpaid: excluded.
    p[9] = issued(a, agent, date(2024, 1, 25), "9000.00")
    due_item(p[9], 1, date(2025, 1, 25))
    Customer.objects.filter(pk=p[9].insured_id).update(date_of_death=date(2025, 2, 1))
    move(p[9], ("grace", date(2025, 1, 26)), ("terminated", date(2025, 2, 1), "death_claim"))
    # Cancelled in the cooling-off period: excluded.
    p[10] = issued(a, agent, date(2024, 1, 9), "10000.00")
    move(p[10], ("cooling_off_cancelled", date(2024, 1, 20)))
    return p


def test_hand_checked_cohort_of_ten(cohort):
    report = persistency_report(scope=HQ, as_of=AS_OF, month=13, group_by="company", **JAN_2025)
    total = report.total
    assert (total.cohort, total.excluded, total.pending, total.judged, total.persisting) == (10, 2, 0, 8, 6)
    # By count: 6 persisting / (10 − 2 excluded) = 6/8 = 75.00 %.
    assert total.count_ratio == Decimal("0.75")
    assert total.count_pct == Decimal("75.00")
    # By premium: persisting 1000 + 2000 + 3000 + 4000 + 5000 + 6000 = 21,000.00;
    # judged = 21,000.00 + 1,234.56 (P7) + 2,000.00 (P8) = 24,234.56 (P9's 9,000 and P10's 10,000 excluded);
    # 21,000 / 24,234.56: 24,234.56 × 0.8665 = 20,999.25 (remainder 0.75 → +0.0000311) = 0.86653… → 86.65 %.
    assert (total.persisting_premium, total.judged_premium) == (Decimal("21000.00"), Decimal("24234.56"))
    assert total.premium_pct == Decimal("86.65")
    assert total.cohort_premium == Decimal("43234.56")
    assert [(r.label, r.cohort, r.count_pct) for r in report.rows] == [("Company", 10, Decimal("75.00"))]
    assert (report.issued_from, report.issued_to) == (date(2024, 1, 1), date(2024, 1, 31))


def test_each_policy_judged_with_its_reason_and_date(cohort):
    judged = {c.policy_id: c for c in persistency_policies(scope=HQ, as_of=AS_OF, month=13, **JAN_2025)}
    outcome = {n: (judged[p.pk].judgement.outcome, judged[p.pk].judgement.reason) for n, p in cohort.items()}
    assert outcome == {
        1: (Outcome.PERSISTING, Reason.PAID), 2: (Outcome.PERSISTING, Reason.PAID),
        3: (Outcome.PERSISTING, Reason.PAID), 4: (Outcome.PERSISTING, Reason.PAID),
        5: (Outcome.PERSISTING, Reason.PAID), 6: (Outcome.PERSISTING, Reason.PAID),
        7: (Outcome.NOT_PERSISTING, Reason.UNPAID), 8: (Outcome.NOT_PERSISTING, Reason.UNPAID),
        9: (Outcome.EXCLUDED, Reason.DEATH), 10: (Outcome.EXCLUDED, Reason.COOLING_OFF),
    }
    p3, p7, p9 = judged[cohort[3].pk], judged[cohort[7].pk], judged[cohort[9].pk]
    assert (p3.facts.due_date, p3.facts.grace_end, p3.judgement.judged_on) == (
        date(2025, 1, 8), date(2025, 3, 10), date(2025, 3, 10))
    assert p7.judgement.judged_on == date(2025, 3, 13)  # the grace end the batch recorded
    assert p9.judgement.judged_on == date(2025, 2, 1)
    # Computed from the CN rule where the batch recorded none: 60 days from the due date (customer deadline).
    p4 = judged[cohort[4].pk].facts
    assert p4.grace_end == cn_grace_end(date(2025, 1, 11)) >= date(2025, 3, 12)
    assert {c.reporting_month for c in judged.values()} == {date(2025, 1, 1)}


def test_in_grace_is_pending_even_when_paid_and_a_known_death_is_excluded_at_once(cohort):
    report = persistency_report(scope=HQ, as_of=date(2025, 2, 15), month=13, group_by="company", **JAN_2025)
    total = report.total
    # P10 (cooling-off, 2024) and P9 (died 1 Feb 2025) are excluded; every other grace period is still running.
    assert (total.cohort, total.excluded, total.pending, total.judged) == (10, 2, 8, 0)
    assert total.count_ratio is None and total.premium_pct is None
    # On P3's last day of grace it is still pending; the day after, it is judged.
    day_of = {c.policy_id: c.judgement.outcome
              for c in persistency_policies(scope=HQ, as_of=date(2025, 3, 10), month=13, **JAN_2025)}
    day_after = {c.policy_id: c.judgement.outcome
                 for c in persistency_policies(scope=HQ, as_of=date(2025, 3, 11), month=13, **JAN_2025)}
    assert (day_of[cohort[3].pk], day_after[cohort[3].pk]) == (Outcome.PENDING, Outcome.PERSISTING)
    assert day_after[cohort[7].pk] == Outcome.PENDING  # its grace runs to 13 March


def test_paid_late_surrendered_and_paid_up_are_not_persisting(org, agent):
    a = org.branch_a
    late = issued(a, agent, date(2024, 1, 3), "1000.00")
    due_item(late, 1, date(2025, 1, 3), paid_on=date(2025, 4, 1), grace_end=date(2025, 3, 4))
    surrendered = issued(a, agent, date(2024, 1, 4), "1000.00")
    due_item(surrendered, 1, date(2025, 1, 4), paid_on=date(2025, 1, 4))
    move(surrendered, ("surrendered", date(2025, 2, 1)))  # after paying, before the grace end
    paid_up = issued(a, agent, date(2024, 1, 6), "1000.00")
    move(paid_up, ("paid_up", date(2024, 12, 1)))  # no further premium: the 13th-month one was never paid
    surrendered_later = issued(a, agent, date(2024, 1, 7), "1000.00")
    paid_instalments(surrendered_later, 2)
    move(surrendered_later, ("surrendered", date(2025, 4, 1)))  # after the judgement point: persisted
    judged = {c.policy_id: (c.judgement.outcome, c.judgement.reason)
              for c in persistency_policies(scope=HQ, as_of=AS_OF, month=13, **JAN_2025)}
    assert judged == {
        late.pk: (Outcome.NOT_PERSISTING, Reason.PAID_LATE),
        surrendered.pk: (Outcome.NOT_PERSISTING, Reason.SURRENDERED),
        paid_up.pk: (Outcome.NOT_PERSISTING, Reason.UNPAID),
        surrendered_later.pk: (Outcome.PERSISTING, Reason.PAID),
    }


def test_single_premium_proposals_and_contract_terms(org, agent):
    a = org.branch_a
    single = issued(a, agent, date(2024, 1, 3), "50000.00", premium_term_years=1, term_years=10)
    proposal = issued(a, agent, date(2024, 1, 3), "1000.00", issue=False)
    one_year = issued(a, agent, date(2024, 1, 3), "1000.00", term_years=1, premium_term_years=1, mode="monthly")
    matured = issued(a, agent, date(2024, 1, 3), "1000.00", term_years=1, premium_term_years=1, mode="monthly")
    move(matured, ("matured", date(2025, 1, 3), "matured"))
    judged = {c.policy_id: (c.judgement.outcome, c.judgement.reason)
              for c in persistency_policies(scope=HQ, as_of=AS_OF, month=13, **JAN_2025)}
    assert single.pk not in judged and proposal.pk not in judged
    assert judged == {one_year.pk: (Outcome.EXCLUDED, Reason.CONTRACT_TERMS),
                      matured.pk: (Outcome.EXCLUDED, Reason.CONTRACT_TERMS)}


def test_month_end_monthly_mode_and_leap_day_issues(org, agent):
    a = org.branch_a
    # Monthly, issued 31 Jan 2024: the 13th-month premium is instalment 12, due 31 Jan 2025 (not 28 Feb),
    # whatever the previous instalment (11, due 31 Dec 2024) did.
    monthly = issued(a, agent, date(2024, 1, 31), "1200.00", mode="monthly")
    due_item(monthly, 11, date(2024, 12, 31), paid_on=date(2024, 12, 31))
    due_item(monthly, 12, date(2025, 1, 31), grace_end=date(2025, 4, 1))
    due_item(monthly, 13, date(2025, 2, 28), paid_on=date(2025, 2, 28))  # the next one, policy month 14
    monthly_paid = issued(a, agent, date(2024, 1, 30), "1200.00", mode="monthly")
    paid_instalments(monthly_paid, 13)
    # Leap day: 29 Feb 2024 → its 13th-month premium falls due 28 Feb 2025, reported in February 2025.
    leap = issued(a, agent, date(2024, 2, 29), "1000.00")
    due_item(leap, 1, date(2025, 2, 28), paid_on=date(2025, 2, 28))
    # Just outside: issued 31 Dec 2023 is reported in December 2024; 1 Mar 2024 in March 2025.
    issued(a, agent, date(2023, 12, 31), "1000.00")
    issued(a, agent, date(2024, 3, 1), "1000.00")
    judged = {c.policy_id: c for c in persistency_policies(
        scope=HQ, as_of=AS_OF, month=13, period_start=date(2025, 1, 1), period_end=date(2025, 2, 1))}
    assert set(judged) == {monthly.pk, monthly_paid.pk, leap.pk}
    m = judged[monthly.pk]
    assert (m.facts.due_date, m.facts.grace_end, m.reporting_month, m.judgement.outcome) == (
        date(2025, 1, 31), date(2025, 4, 1), date(2025, 1, 1), Outcome.NOT_PERSISTING)
    assert judged[monthly_paid.pk].judgement.outcome == Outcome.PERSISTING  # 13 paid > instalment 12
    leap_policy = judged[leap.pk]
    assert (leap_policy.facts.due_date, leap_policy.reporting_month, leap_policy.judgement.outcome) == (
        date(2025, 2, 28), date(2025, 2, 1), Outcome.PERSISTING)
    trend = persistency_trend(scope=HQ, as_of=AS_OF, month=13, period_start=date(2025, 1, 1),
                              period_end=date(2025, 2, 1))
    assert trend.labels == ["2025-01", "2025-02"]
    assert trend.series[0].count_pcts == [Decimal("50.00"), Decimal("100.00")]


def test_25th_month(org, agent):
    a = org.branch_a
    # Issued January 2023, annual: the 25th-month premium is the 3rd (instalment 2), due January 2025.
    both = issued(a, agent, date(2023, 1, 16), "3000.00")
    paid_instalments(both, 3)
    only_13th = issued(a, agent, date(2023, 1, 17), "1000.00")
    paid_instalments(only_13th, 2)
    with_item = issued(a, agent, date(2023, 1, 31), "2000.00", mode="quarterly")
    due_item(with_item, 8, date(2025, 1, 31), paid_on=date(2025, 2, 10))
    two_year_term = issued(a, agent, date(2023, 1, 18), "5000.00", premium_term_years=2)
    paid_instalments(two_year_term, 2)
    leap_25 = issued(a, agent, date(2024, 2, 29), "1000.00")  # 25th month: 28 Feb 2026, not in this period
    paid_instalments(leap_25, 3)
    policies = {c.policy_id: c for c in persistency_policies(scope=HQ, as_of=AS_OF, month=25, **JAN_2025)}
    assert {k: (v.facts.due_date, v.judgement.outcome) for k, v in policies.items()} == {
        both.pk: (date(2025, 1, 16), Outcome.PERSISTING),
        only_13th.pk: (date(2025, 1, 17), Outcome.NOT_PERSISTING),
        with_item.pk: (date(2025, 1, 31), Outcome.PERSISTING),
        two_year_term.pk: (date(2025, 1, 18), Outcome.EXCLUDED),
    }
    total = persistency_report(scope=HQ, as_of=AS_OF, month=25, group_by="company", **JAN_2025).total
    # 2 of 3 judged by count = 66.67 %; by premium (3000 + 2000) / (3000 + 1000 + 2000) = 83.33 %.
    assert (total.count_pct, total.premium_pct) == (Decimal("66.67"), Decimal("83.33"))
    feb_2026 = persistency_policies(scope=HQ, as_of=date(2026, 6, 30), month=25, period_start=date(2026, 2, 1),
                                    period_end=date(2026, 2, 1))
    assert [(c.policy_id, c.facts.due_date) for c in feb_2026] == [(leap_25.pk, date(2026, 2, 28))]


def test_a_branch_sees_only_its_policies_and_an_agent_only_their_book(org, agent):
    a_paid = issued(org.team_a, agent, date(2024, 1, 10), "1000.00")
    paid_instalments(a_paid, 2)
    other_agent = make_staff("agent", org.team_a)
    issued(org.branch_a, other_agent, date(2024, 1, 11), "1000.00")  # unpaid
    agent_b = make_staff("agent", org.team_b)
    for day in (12, 13, 14):
        paid_instalments(issued(org.team_b, agent_b, date(2024, 1, day), "500.00"), 2)
    manager_a = make_staff("branch", org.branch_a)
    scope_a = scope_for(role="branch", unit_kind="branch", unit_path=org.branch_a.path, staff_id=manager_a.pk)
    report = persistency_report(scope=scope_a, as_of=AS_OF, month=13, group_by="branch", **JAN_2025)
    assert [(r.key, r.label, r.cohort, r.count_pct) for r in report.rows] == [
        (org.branch_a.pk, "Beijing branch", 2, Decimal("50.00"))]
    assert report.total.cohort == 2
    teams = persistency_report(scope=scope_a, as_of=AS_OF, month=13, group_by="team", **JAN_2025)
    # The policy booked on the branch itself counts in its agent's team (a team without an English name: its own).
    assert [(r.label, r.cohort, r.persisting) for r in teams.rows] == [("北京一组", 2, 1)]
    hq = persistency_report(scope=HQ, as_of=AS_OF, month=13, group_by="branch", **JAN_2025)
    assert [(r.label, r.cohort, r.count_pct) for r in hq.rows] == [  # English names on English pages
        ("Beijing branch", 2, Decimal("50.00")), ("Shanghai branch", 3, Decimal("100.00"))]
    own = scope_for(role="agent", unit_kind="team", unit_path=org.team_a.path, staff_id=agent.pk)
    mine = persistency_report(scope=own, as_of=AS_OF, month=13, group_by="agent", **JAN_2025)
    assert [(r.key, r.cohort) for r in mine.rows] == [(agent.pk, 1)]
    assert mine.rows[0].label == f"{agent.name} ({agent.employee_no})"


def test_dimensions_product_channel_and_unknown(org, agent):
    term = make_product()
    whole = make_product("WL01", name="终身寿险", name_en="Whole life", kind="whole_life")
    p1 = issued(org.branch_a, agent, date(2024, 1, 10), "1000.00", product=term)
    paid_instalments(p1, 2)
    p2 = issued(org.branch_a, None, date(2024, 1, 11), "3000.00", product=whole)
    Policy.objects.filter(pk=p2.pk).update(channel="bancassurance")
    reports = persistency_reports(scope=HQ, as_of=AS_OF, month=13, group_by=("product", "channel", "agent"),
                                  **JAN_2025)
    assert [(r.label, r.count_pct) for r in reports["product"].rows] == [
        ("TERM20 Term life", Decimal("100.00")), ("WL01 Whole life", Decimal("0.00"))]
    assert [(r.key, r.label, r.premium_pct) for r in reports["channel"].rows] == [
        ("agency", "agency", Decimal("100.00")), ("bancassurance", "bancassurance", Decimal("0.00"))]
    assert [r.label for r in reports["agent"].rows] == [f"{agent.name} ({agent.employee_no})", "(no agent)"]
    assert reports["agent"].total.premium_pct == Decimal("25.00")
    with pytest.raises(ValueError, match="unknown persistency dimension 'segment'"):
        persistency_report(scope=HQ, as_of=AS_OF, month=13, group_by="segment", **JAN_2025)
    with pytest.raises(ValueError, match="13 or 25"):
        persistency_report(scope=HQ, as_of=AS_OF, month=12, **JAN_2025)


def test_trend_by_reporting_month_and_by_branch(org, agent):
    agent_b = make_staff("agent", org.team_b)
    for issue, unit, who, paid in [
        (date(2024, 1, 10), org.branch_a, agent, True), (date(2024, 1, 11), org.branch_a, agent, False),
        (date(2024, 3, 5), org.branch_a, agent, True), (date(2024, 3, 6), org.branch_b, agent_b, True),
        (date(2024, 3, 7), org.branch_b, agent_b, False), (date(2024, 3, 8), org.branch_b, agent_b, True),
    ]:
        paid_instalments(issued(unit, who, issue, "1000.00"), 2 if paid else 1)
    trend = persistency_trend(scope=HQ, as_of=AS_OF, month=13, period_start=date(2025, 1, 1),
                              period_end=date(2025, 3, 1))
    (company,) = trend.series
    assert trend.labels == ["2025-01", "2025-02", "2025-03"]
    assert company.count_pcts == [Decimal("50.00"), None, Decimal("75.00")]
    assert [p.cohort for p in company.points] == [2, 0, 4]
    by_branch = persistency_trend(scope=HQ, as_of=AS_OF, month=13, period_start=date(2025, 1, 1),
                                  period_end=date(2025, 3, 1), group_by="branch")
    assert [(s.label, s.count_pcts) for s in by_branch.series] == [
        ("Beijing branch", [Decimal("50.00"), None, Decimal("100.00")]),
        ("Shanghai branch", [None, None, Decimal("66.67")])]
    only_b = persistency_trend(scope=HQ, as_of=AS_OF, month=13, period_start=date(2025, 1, 1),
                               period_end=date(2025, 3, 1), group_by="branch", keys=[org.branch_b.pk])
    assert [s.key for s in only_b.series] == [org.branch_b.pk]
    overview = persistency_overview(scope=HQ, as_of=AS_OF, month=13, period_start=date(2025, 1, 1),
                                    period_end=date(2025, 3, 1), group_by="branch", export_by=("branch", "agent"))
    assert overview.trend.series[0].count_pcts == company.count_pcts
    assert overview.report.total.count_pct == Decimal("66.67")
    assert list(overview.reports) == ["branch", "agent"]
    empty = persistency_trend(scope=HQ, as_of=AS_OF, month=25, period_start=date(2025, 1, 1),
                              period_end=date(2025, 2, 1))
    assert [(s.label, s.count_pcts) for s in empty.series] == [("Company", [None, None])]


def _cohort_of(count: int, org, agent) -> None:
    products = [make_product(), make_product("WL01", name="终身寿险", name_en="Whole life", kind="whole_life")]
    for i in range(count):
        unit = (org.team_a, org.branch_a, org.team_b)[i % 3]
        policy = issued(unit, agent, date(2024, 1, 1 + i % 28), "1000.00", product=products[i % 2],
                        mode=("annual", "monthly")[i % 2])
        instalment = 1 if i % 2 == 0 else 12
        if i % 4 == 0:
            due_item(policy, instalment, date(2025, 1, 1 + i % 28), paid_on=date(2025, 1, 1 + i % 28))
        elif i % 4 == 1:
            paid_instalments(policy, instalment + 1)
        elif i % 4 == 2:
            move(policy, ("grace", date(2025, 1, 2 + i % 28)), ("terminated", date(2025, 2, 1), "death_claim"))
        else:
            move(policy, ("surrendered", date(2024, 6, 1)))


def _queries() -> tuple[int, dict]:
    clear_caches()  # each count includes loading the rules and the CN calendar once
    with CaptureQueriesContext(connection) as ctx:
        report = persistency_reports(scope=HQ, as_of=AS_OF, month=13,
                                     group_by=("company", "branch", "team", "agent", "product", "channel"),
                                     **JAN_2025)
    return len(ctx), report


def test_a_bounded_number_of_queries_whatever_the_cohort(org, agent, django_assert_max_num_queries):
    _cohort_of(5, org, agent)
    small, small_report = _queries()
    _cohort_of(45, org, agent)
    large, large_report = _queries()
    assert (small_report["company"].total.cohort, large_report["company"].total.cohort) == (5, 50)
    assert small == large
    # 4 fact queries + org units for branch and team, the agents' teams, staff, products + the rules and the
    # CN calendar (3).
    clear_caches()
    with django_assert_max_num_queries(12):
        persistency_reports(scope=HQ, as_of=AS_OF, month=13,
                            group_by=("company", "branch", "team", "agent", "product", "channel"), **JAN_2025)
