"""Claims' services end to end: report, documents, the one missing-documents notice, assessment, maker-checker,
refusal, payees and payment through a pain.001 file, the policy's outcome; each checks its actor."""
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from lifecrm.banking.models import BankFile
from lifecrm.claims import services
from lifecrm.claims.models import Claim, ClaimEvent, ClaimNotice, Payout
from lifecrm.claims.services import Account, ClaimRefused
from lifecrm.core.actors import SYSTEM
from lifecrm.notifications.models import OutboxMessage
from lifecrm.policies import services as policy_services
from tests.factories import make_customer

from .conftest import AS_OF, REPORTED_AT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]  # refusals read in their English source
EVENT = date(2026, 11, 20)


def _report(world, actor="handler", **kw):
    args = dict(actor=world.staff["claims"].user if actor == "handler" else actor, insured=world.insured, claim_type="death",
                cause="illness", event_date=EVENT, channel="phone", reported_at=REPORTED_AT, as_of=AS_OF,
                claimant_name="李娜", claimant_phone="13900001111", claimant_relation="spouse")
    return services.claim_report(**(args | kw))


def _complete(world, claim, on=AS_OF, as_of=AS_OF):
    codes = list(claim.documents.values_list("code", flat=True))
    return services.claim_documents_receive(actor=world.staff["claims"].user, claim_id=claim.pk, codes=codes,
                                            received_on=on, as_of=as_of)


def _accounts(keys):
    return {key: Account("中国工商银行", "102100099996", f"62220202001{i:08d}") for i, key in enumerate(keys)}


def _payees(claim):
    return [key for key, _name in services.payees_of(services.payout_plan(claim, as_of=AS_OF))]


def test_a_claim_reported_at_night_links_every_policy_of_the_insured_with_its_checklist(claims_world):
    claim = _report(claims_world)
    assert claim.number == f"CL{claim.pk:08d}" and claim.status == "reported"
    assert set(claim.claim_policies.values_list("policy_id", flat=True)) == {claims_world.policy.pk,
                                                                             claims_world.second.pk}
    assert "death_certificate" in set(claim.documents.values_list("code", flat=True))
    assert claim.decision_due == AS_OF + timedelta(days=30) and claim.next_due == claim.decision_due
    assert claim.branch_path == claims_world.insured.branch_path
    assert ClaimEvent.objects.filter(claim=claim, kind="reported").count() == 1


def test_reporting_is_refused_outside_the_scope_and_with_bad_input(claims_world):
    with pytest.raises(Http404):
        _report(claims_world, actor=claims_world.staff["branch_b"].user)
    with pytest.raises(PermissionDenied):
        _report(claims_world, actor=None)
    with pytest.raises(ClaimRefused):
        _report(claims_world, event_date=AS_OF + timedelta(days=1))
    with pytest.raises(ClaimRefused):
        _report(claims_world, claim_type="tpd", cause="suicide")
    assert not Claim.objects.exists()
    # any service role takes a claim in: the call centre and the insured's agent too
    assert _report(claims_world, actor=claims_world.staff["callcentre"].user).handler is None
    assert _report(claims_world, actor=claims_world.staff["agent"].user)


def test_one_missing_documents_notice_stops_the_clock_until_the_documents_arrive(claims_world):
    claim = _report(claims_world)
    codes = list(claim.documents.values_list("code", flat=True))
    services.claim_documents_receive(actor=claims_world.staff["claims"].user, claim_id=claim.pk,
                                     codes=["claim_form", "claimant_id"], received_on=AS_OF, as_of=AS_OF)
    notice = services.claim_missing_notice_send(actor=claims_world.staff["claims"].user, claim_id=claim.pk,
                                                as_of=AS_OF, reached_on=AS_OF + timedelta(days=1))
    assert notice.documents == [c for c in codes if c not in ("claim_form", "claimant_id")]
    sms = OutboxMessage.objects.get(key=notice.outbox_key)
    assert sms.address == "13900001111" and claim.number in sms.body
    claim.refresh_from_db()
    assert (claim.status, claim.decision_due, claim.clock_stopped) == ("documents_pending", None, True)
    with pytest.raises(ClaimRefused, match="one notice"):
        services.claim_missing_notice_send(actor=claims_world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    # the documents arrive 11 days after the notice reached the claimant: 30 + 11 days from the first receipt
    later = AS_OF + timedelta(days=12)
    claim = _complete(claims_world, claim, on=later, as_of=later)
    assert claim.status == "assessing" and claim.documents_complete_on == later
    assert claim.decision_due == AS_OF + timedelta(days=30 + 11) and not claim.clock_stopped
    assert ClaimNotice.objects.filter(claim=claim).count() == 1


def _decided(world, amount_policy=None):
    claim = _complete(world, _report(world))
    services.claim_assess(actor=world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    return services.claim_decide(actor=world.staff["claims"].user, claim_id=claim.pk, outcome="approved",
                                 reasons="死亡证明齐全，保单有效", as_of=AS_OF)


def test_maker_checker_the_maker_never_approves_their_own(claims_world):
    claim = _decided(claims_world)
    assert claim.status == "awaiting_approval" and claim.approved_amount == Decimal("600000.00")
    for maker in (claims_world.staff["claims"], claims_world.staff["claims"].user):
        with pytest.raises(PermissionDenied):
            services.claim_decision_check(actor=maker, claim_id=claim.pk, approve=True, as_of=AS_OF)
    with pytest.raises(PermissionDenied):  # the counter may not check a claim decision
        services.claim_decision_check(actor=claims_world.staff["counter"].user, claim_id=claim.pk, approve=True,
                                      as_of=AS_OF)
    with pytest.raises(Http404):  # a claims handler of another branch does not see it
        services.claim_decision_check(actor=claims_world.staff["claims_b"].user, claim_id=claim.pk, approve=True,
                                      as_of=AS_OF)
    claim = services.claim_decision_check(actor=claims_world.staff["claims_checker"].user, claim_id=claim.pk,
                                          approve=True, as_of=AS_OF)
    assert (claim.status, claim.decided_by, claim.payment_due) == (
        "decided", claims_world.staff["claims_checker"], AS_OF + timedelta(days=10))


@pytest.mark.parametrize("checker", ["branch", "hq"])
def test_a_manager_may_check_too(claims_world, checker):
    claim = _decided(claims_world)
    claim = services.claim_decision_check(actor=claims_world.staff[checker].user, claim_id=claim.pk, approve=True,
                                          as_of=AS_OF)
    assert claim.status == "decided"


def test_payment_splits_by_shares_exports_one_pain001_and_terminates_the_policies(claims_world):
    claim = _decided(claims_world)
    services.claim_decision_check(actor=claims_world.staff["branch"].user, claim_id=claim.pk, approve=True,
                                  as_of=AS_OF)
    names = [b.name for b in claims_world.beneficiaries]
    keys = _payees(claim)
    assert keys == [f"customer:{b.pk}" for b in claims_world.beneficiaries]
    bank_file = services.claim_pay(actor=claims_world.staff["claims"].user, claim_id=claim.pk,
                                   accounts=_accounts(keys), as_of=AS_OF)
    assert bank_file.format == "pain.001" and bank_file.message_id == f"LCCL{AS_OF:%Y%m%d}CNY"
    by_policy = {}
    for payout in Payout.objects.filter(claim=claim):
        by_policy.setdefault(payout.policy_id, []).append((payout.payee_name, payout.share, payout.amount))
    assert by_policy[claims_world.policy.pk] == [(names[0], Fraction(1, 2), Decimal("250000.00")),
                                                 (names[1], Fraction(3, 10), Decimal("150000.00")),
                                                 (names[2], Fraction(1, 5), Decimal("100000.00"))]
    assert by_policy[claims_world.second.pk] == [(names[0], Fraction(1), Decimal("100000.00"))]
    assert bank_file.total_amount == Decimal("600000.00") and bank_file.line_count == 4
    claim.refresh_from_db()
    assert claim.status == "paid"
    for policy in (claims_world.policy, claims_world.second):
        policy.refresh_from_db()
        assert policy.status == "terminated"
    # paying again, or exporting again, pays nobody twice
    with pytest.raises(ClaimRefused):
        services.claim_pay(actor=claims_world.staff["claims"].user, claim_id=claim.pk, accounts=_accounts(keys),
                           as_of=AS_OF)
    assert services.payouts_export(actor=SYSTEM, as_of=AS_OF) is None
    assert services.payouts_export(actor=SYSTEM, as_of=AS_OF + timedelta(days=1)) is None
    assert BankFile.objects.filter(format="pain.001").count() == 1
    assert Payout.objects.filter(claim=claim, status="sent", bank_file=bank_file).count() == 4


def _pay_death(world, amount: Decimal, outcome="approved"):
    claim = _complete(world, _report(world))
    services.claim_assess(actor=world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    claim = services.claim_decide(actor=world.staff["claims"].user, claim_id=claim.pk, outcome=outcome,
                                  reasons="部分给付", as_of=AS_OF,
                                  amounts={world.policy.pk: amount, world.second.pk: Decimal(0)})
    return claim


def test_an_odd_amount_split_50_30_20_adds_up_exactly(claims_world):
    claim = _pay_death(claims_world, Decimal("1000.01"), outcome="partly_approved")
    assert claim.status == "decided"  # below the threshold: no checker
    plan = services.payout_plan(claim, as_of=AS_OF)
    assert [p.amount for p in plan] == [Decimal("500.01"), Decimal("300.00"), Decimal("200.00")]
    assert sum(p.amount for p in plan) == Decimal("1000.01")


def test_one_third_each_on_an_odd_amount_adds_up_exactly(claims_world):
    b = policy_services.BeneficiaryInput
    people = claims_world.beneficiaries
    policy_services.policy_new_version(
        actor=SYSTEM, policy_id=claims_world.policy.pk, effective_from=date(2025, 1, 1), as_of=AS_OF, changes={},
        reason="beneficiary change", beneficiaries=[b(p.name, "child", Fraction(1, 3), 1, p.pk) for p in people])
    claim = _pay_death(claims_world, Decimal("100000.00"), outcome="partly_approved")
    services.claim_decision_check(actor=claims_world.staff["branch"].user, claim_id=claim.pk, approve=True,
                                  as_of=AS_OF) if claim.status == "awaiting_approval" else None
    plan = services.payout_plan(Claim.objects.get(pk=claim.pk), as_of=AS_OF)
    assert [p.amount for p in plan] == [Decimal("33333.34"), Decimal("33333.33"), Decimal("33333.33")]
    assert sum(p.amount for p in plan) == Decimal("100000.00")


def test_who_died_first_or_renounced_drops_out_and_nobody_left_is_the_estate(claims_world):
    people = claims_world.beneficiaries
    people[0].date_of_death = EVENT  # same event: presumed to have died first
    people[0].save(update_fields=["date_of_death"])
    claim = _pay_death(claims_world, Decimal("1000.00"), outcome="partly_approved")
    plan = services.payout_plan(claim, as_of=AS_OF)
    assert [(p.name, p.share, p.amount) for p in plan] == [(people[1].name, Fraction(3, 5), Decimal("600.00")),
                                                          (people[2].name, Fraction(2, 5), Decimal("400.00"))]
    version_beneficiaries = {b.customer_id: b.pk for b in
                             claims_world.policy.versions.get(version_no=1).beneficiaries.all()}
    for person in people[1:]:
        services.claim_beneficiary_renounce(actor=claims_world.staff["claims"].user, claim_id=claim.pk,
                                            beneficiary_id=version_beneficiaries[person.pk], as_of=AS_OF)
    plan = services.payout_plan(claim, as_of=AS_OF)
    assert [(p.name, p.estate, p.amount) for p in plan] == [(f"the estate of {claims_world.insured.name}", True,
                                                             Decimal("1000.00"))]


def test_a_declined_claim_gets_its_refusal_notice_and_closes(claims_world):
    claim = _complete(claims_world, _report(claims_world))
    services.claim_assess(actor=claims_world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    with pytest.raises(ClaimRefused):
        services.claim_decide(actor=claims_world.staff["claims"].user, claim_id=claim.pk, outcome="declined",
                              reasons="  ", as_of=AS_OF)
    claim = services.claim_decide(actor=claims_world.staff["claims"].user, claim_id=claim.pk, outcome="declined",
                                  reasons="保单在事故发生时已中止", as_of=AS_OF)
    assert (claim.status, claim.refusal_notice_due, claim.next_due) == ("decided", AS_OF + timedelta(days=3),
                                                                        AS_OF + timedelta(days=3))
    services.claim_refusal_notice_send(actor=claims_world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    claim.refresh_from_db()
    assert claim.status == "closed" and claim.refusal_notice_on == AS_OF
    claims_world.policy.refresh_from_db()
    assert claims_world.policy.status == "in_force"


def test_assessment_finds_suspension_suicide_and_contestability(claims_world):
    policy_services.policy_transition(actor=SYSTEM, policy_id=claims_world.second.pk, to_status="grace",
                                      effective_date=date(2026, 6, 1), as_of=AS_OF)
    policy_services.policy_transition(actor=SYSTEM, policy_id=claims_world.second.pk, to_status="suspended",
                                      effective_date=date(2026, 8, 1), as_of=AS_OF)
    claim = _complete(claims_world, _report(claims_world, cause="suicide", event_date=date(2026, 11, 1)))
    claim = services.claim_assess(actor=claims_world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    found = {(f.policy_id, f.code) for f in claim.findings.all()}
    assert (claims_world.second.pk, "not_in_force") in found
    # the first policy, issued 31 Mar 2022: outside the 2-year suicide window and the rescission window
    assert (claims_world.policy.pk, "suicide_exclusion") not in found
    assert (claims_world.policy.pk, "contestable") not in found
    links = {link.policy_id: link for link in claim.claim_policies.all()}
    assert links[claims_world.policy.pk].benefit == Decimal("500000.00")
    assert links[claims_world.second.pk].covered is False and links[claims_world.second.pk].benefit is None


def test_the_org_move_rewrites_the_claims_path_copy(claims_world):
    from lifecrm.core.registries import path_copies

    assert "claims.claim" in path_copies()


def test_the_demo_adds_claims_at_every_stage(claims_world):
    from lifecrm.claims.demo import add_demo_claims
    from lifecrm.parties.models import Customer
    from tests.factories import make_customer

    from .conftest import make_claims_policy

    for n in range(5):
        person = make_customer(branch=claims_world.org.team_a, agent=claims_world.staff["agent"], name=f"王{n}")
        make_claims_policy(owner=person, insured=person, agent=claims_world.staff["agent"],
                           branch=claims_world.org.team_a, sum_assured=Decimal("80000.00"),
                           beneficiaries=[policy_services.BeneficiaryInput("王芳", "spouse", Fraction(1))])
    lines = add_demo_claims(as_of=AS_OF, count=6, stride=1)
    statuses = set(Claim.objects.values_list("status", flat=True))
    assert len(lines) == 1 and Claim.objects.count() == 6, lines
    assert {"paid", "documents_pending", "assessing", "decided"} <= statuses, statuses
    assert Customer.objects.count() > 5


def test_the_fast_track_counts_working_days_on_the_jurisdictions_calendar(claims_world):
    """A hospital claim below RMB 3,000 complete on Wed 30 Sep 2026: 5 working days on the CN calendar skip the
    National Day holidays (1–7 Oct); the 30-day clock runs from the first receipt."""
    from lifecrm.core.selectors import working_calendar

    reported = date(2026, 9, 28)
    claim = _report(claims_world, claim_type="hospitalisation", cause="illness", event_date=date(2026, 9, 20),
                    as_of=reported, amount_claimed=Decimal("2999.99"))
    assert claim.small and "pathology" not in set(claim.documents.values_list("code", flat=True))
    claim = _complete(claims_world, claim, on=date(2026, 9, 30), as_of=date(2026, 9, 30))
    assert claim.simple_decision_due == working_calendar("CN").add_working_days(date(2026, 9, 30), 5)
    assert claim.simple_decision_due > date(2026, 10, 7)
    assert claim.decision_due == date(2026, 10, 28) and claim.advance_payment_due == date(2026, 11, 29)
    assert claim.next_due == claim.simple_decision_due
    at_threshold = _report(claims_world, claim_type="hospitalisation", amount_claimed=Decimal("3000.00"))
    assert not at_threshold.small


def test_a_jurisdiction_without_claim_clocks_gets_none_rather_than_cn_figures(claims_world):
    """DOMAIN.md gives the claim clocks for CN only: an HK claim has no statutory decision date, while HK's own
    1-year suicide exclusion applies."""
    from tests.factories import make_customer, make_product

    from .conftest import make_claims_policy

    person = make_customer(branch=claims_world.org.team_a, name="陳大文", name_romanised="Chan Tai Man",
                           jurisdiction_id="HK")
    product = make_product("HKTERM", jurisdiction_id="HK", currency="HKD")
    policy = make_claims_policy(owner=person, insured=person, agent=None, branch=claims_world.org.team_a,
                                beneficiaries=[policy_services.BeneficiaryInput("陳太", "spouse", Fraction(1))],
                                issue_date=date(2025, 6, 1))
    policy_services.Policy.objects.filter(pk=policy.pk).update(product=product, jurisdiction_id="HK",
                                                               currency="HKD")
    claim = _report(claims_world, insured=person, cause="suicide", event_date=date(2026, 6, 2))
    assert (claim.jurisdiction_id, claim.currency) == ("HK", "HKD")
    assert (claim.decision_due, claim.next_due) == (None, None)
    claim = _complete(claims_world, claim)
    claim = services.claim_assess(actor=claims_world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    assert not claim.findings.filter(code="suicide_exclusion").exists()  # one year and a day after issue


def test_two_payees_of_one_name_get_their_own_accounts(claims_world):
    b = policy_services.BeneficiaryInput
    twins = [make_customer(branch=claims_world.org.team_a, name="张伟") for _i in range(2)]
    policy_services.policy_new_version(
        actor=SYSTEM, policy_id=claims_world.policy.pk, effective_from=date(2025, 1, 1), as_of=AS_OF, changes={},
        reason="beneficiary change", beneficiaries=[b(p.name, "child", Fraction(1, 2), 1, p.pk) for p in twins])
    claim = _pay_death(claims_world, Decimal("1000.00"), outcome="partly_approved")
    keys = _payees(claim)
    assert keys == [f"customer:{p.pk}" for p in twins]
    with pytest.raises(ClaimRefused, match="张伟"):  # one account for "张伟" is not enough
        services.claim_pay(actor=claims_world.staff["claims"].user, claim_id=claim.pk, accounts=_accounts(keys[:1]),
                           as_of=AS_OF)
    services.claim_pay(actor=claims_world.staff["claims"].user, claim_id=claim.pk, accounts=_accounts(keys),
                       as_of=AS_OF)
    rows = list(Payout.objects.filter(claim=claim).order_by("id").values_list("payee_key", "account_number"))
    assert [key for key, _n in rows] == keys and len({number for _k, number in rows}) == 2
