"""The claims clocks that differ in HK and TW, read from the jurisdiction rules table (with its shipped working
calendars) at their boundaries: the claimant's limitation (CN 5 years, HK 6, TW 2; a last day on a rest day moves
on), TW's payment 15 days after the complete documents, the rescission right after learning the cause (CN 30 days,
TW a month, HK none) and the suicide exclusion (CN and TW 2 years, HK 1)."""
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from lifecrm.claims import rules, services
from lifecrm.core.selectors import RuleNotDefined, jurisdiction_rule, working_calendar
from lifecrm.policies import services as policy_services
from tests.factories import make_customer, make_product

from .conftest import AS_OF, make_claims_policy
from .test_services import _complete, _report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
D = date


@pytest.mark.parametrize(("jurisdiction", "event", "last_day"), [
    ("CN", D(2020, 6, 10), D(2025, 6, 10)),  # a Tuesday
    ("HK", D(2020, 6, 10), D(2026, 6, 10)),  # a Wednesday
    ("TW", D(2024, 6, 12), D(2026, 6, 12)),  # a Friday
    ("HK", D(2020, 10, 1), D(2026, 10, 2)),  # 1 Oct 2026 is National Day: the claimant has until the 2nd
    ("TW", D(2024, 10, 10), D(2026, 10, 12)),  # 10 Oct 2026 a Saturday (National Day): until Monday the 12th
])
def test_the_claimants_limitation_per_jurisdiction(jurisdiction, event, last_day):
    row = jurisdiction_rule(jurisdiction, "claim_limitation")
    assert row.period.customer_deadline and row.source
    calendar = working_calendar(jurisdiction)
    barred = [rules.time_barred(event_date=event, reported_on=last_day + timedelta(days=n), limitation=row.period,
                                calendar=calendar) for n in (-1, 0, 1)]
    assert barred == [False, False, True]


@pytest.mark.parametrize(("paid", "in_time"), [(14, True), (15, True), (16, False)])
def test_tw_pays_15_days_after_the_complete_documents(paid, in_time):
    period = jurisdiction_rule("TW", "claim_payment_after_documents").period
    complete = D(2026, 9, 30)
    found = rules.clocks(first_receipt=D(2026, 9, 20), documents_complete_on=complete, notice_reached_on=None,
                         simple=False, decided_on=None, outcome=None, decision=None, simple_decision=None,
                         advance=None, refusal_notice=None, payment=None, calendar=None,
                         payment_after_documents=period)
    assert found.payment_due == D(2026, 10, 15)  # calendar days: the insurer's own limit does not move
    assert (complete + timedelta(days=paid) <= found.payment_due) is in_time


def test_the_other_claims_clocks_are_cn_only():
    for key in ("claim_decision_complex", "claim_refusal_notice", "claim_advance_payment", "claim_payment"):
        for jurisdiction in ("HK", "TW"):
            with pytest.raises(RuleNotDefined):
                jurisdiction_rule(jurisdiction, key)
    with pytest.raises(RuleNotDefined):  # HK: the 2 years from formation only
        jurisdiction_rule("HK", "contestability_after_learning")
    assert jurisdiction_rule("TW", "contestability_after_learning").period.end(D(2026, 1, 31)) == D(2026, 2, 28)
    assert jurisdiction_rule("CN", "contestability_after_learning").period.end(D(2026, 1, 31)) == D(2026, 3, 2)
    assert (jurisdiction_rule("HK", "suicide_exclusion").period.quantity,
            jurisdiction_rule("TW", "suicide_exclusion").period.quantity) == (1, 2)


def _tw_insured(world):
    person = make_customer(branch=world.org.team_a, name="林志明", name_romanised="Lin Chih-ming",
                           jurisdiction_id="TW")
    product = make_product("TWTERM", jurisdiction_id="TW", currency="TWD")
    policy = make_claims_policy(owner=person, insured=person, agent=None, branch=world.org.team_a,
                                beneficiaries=[policy_services.BeneficiaryInput("林太太", "spouse", Fraction(1))],
                                issue_date=D(2023, 6, 1))
    policy_services.Policy.objects.filter(pk=policy.pk).update(product=product, jurisdiction_id="TW",
                                                               currency="TWD")
    return person


def test_a_tw_claim_is_due_for_payment_15_days_after_its_documents_whatever_the_decision_day(claims_world):
    claim = _report(claims_world, insured=_tw_insured(claims_world), claim_type="hospitalisation",
                    amount_claimed=Decimal("52000.00"))
    assert (claim.jurisdiction_id, claim.decision_due, claim.payment_due, claim.next_due) == ("TW", None, None,
                                                                                              None)
    claim = _complete(claims_world, claim)
    assert (claim.payment_due, claim.next_due) == (AS_OF + timedelta(days=15), AS_OF + timedelta(days=15))
    services.claim_assess(actor=claims_world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    later = AS_OF + timedelta(days=5)
    claim = services.claim_decide(actor=claims_world.staff["claims"].user, claim_id=claim.pk, outcome="declined",
                                  reasons="非保險責任", as_of=later)
    assert (claim.payment_due, claim.refusal_notice_due, claim.next_due) == (None, None, None)
