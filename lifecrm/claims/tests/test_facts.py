"""The facts assessment reads beyond the policy, recorded on the claim (service, page, API) with validation: the day
the insurer learned the cause for rescission (its right lapses 30 days later) and the misstated age (the true birth
date and each policy's premium at the true age)."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from lifecrm.claims import services
from lifecrm.claims.models import ClaimEvent
from lifecrm.claims.services import ClaimRefused

from .conftest import AS_OF, make_claims_policy
from .test_services import _complete, _report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
TRUE_BIRTH = date(1978, 5, 17)


def _young_policy(world):
    return make_claims_policy(owner=world.insured, insured=world.insured, agent=world.staff["agent"],
                              branch=world.org.team_a, beneficiaries=[], sum_assured=Decimal("200000.00"),
                              issue_date=date(2025, 6, 1))


def _record(world, claim, **facts):
    args = {"learned_on": None, "true_birth_date": None, "true_premiums": {}} | facts
    return services.claim_facts_record(actor=world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF, **args)


@pytest.mark.parametrize(("days_ago", "contestable"), [(29, True), (30, True), (31, False)])
def test_the_rescission_right_lapses_30_days_after_the_cause_was_learned(claims_world, days_ago, contestable):
    young = _young_policy(claims_world)
    claim = _complete(claims_world, _report(claims_world))
    learned = AS_OF - timedelta(days=days_ago)
    claim = _record(claims_world, claim, learned_on=learned)
    assert services.rescission_lapses_on(claim) == learned + timedelta(days=30)
    claim = services.claim_assess(actor=claims_world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    assert ((young.pk, "contestable") in {(f.policy_id, f.code) for f in claim.findings.all()}) is contestable


def test_a_misstated_age_adjusts_the_benefit_and_facts_recorded_ask_for_a_new_assessment(claims_world):
    claim = _complete(claims_world, _report(claims_world))
    claim = services.claim_assess(actor=claims_world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    policy = claims_world.policy
    claim = _record(claims_world, claim, true_birth_date=TRUE_BIRTH, true_premiums={policy.pk: Decimal("1500.00")})
    assert claim.assessed_on is None  # assess again before deciding
    with pytest.raises(ClaimRefused):
        services.claim_decide(actor=claims_world.staff["claims"].user, claim_id=claim.pk, outcome="approved",
                              reasons="x", as_of=AS_OF)
    claim = services.claim_assess(actor=claims_world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    link = claim.claim_policies.get(policy=policy)
    assert link.true_annual_premium == Decimal("1500.00") and link.benefit == Decimal("446333.33")
    finding = claim.findings.get(code="misstated_age")
    assert finding.detail["true_birth_date"] == "1978-05-17" and finding.detail["due"] == "1500.00"
    assert ClaimEvent.objects.filter(claim=claim, kind="facts_recorded").count() == 1


@pytest.mark.parametrize(("facts", "field"), [
    ({"learned_on": AS_OF + timedelta(days=1)}, "learned_on"),
    ({"learned_on": date(2010, 1, 1)}, "learned_on"),
    ({"true_birth_date": date(1980, 5, 17)}, "true_birth_date"),  # the birth date on file
    ({"true_birth_date": AS_OF}, "true_birth_date"),  # after the event
    ({"true_premiums": "policy"}, "true_birth_date"),  # premiums without the true birth date
    ({"true_birth_date": TRUE_BIRTH, "true_premiums": {999999: Decimal("1.00")}}, "true_premiums"),
    ({"true_birth_date": TRUE_BIRTH, "true_premiums": "zero"}, "true_premiums"),
])
def test_bad_facts_are_refused_naming_their_field(claims_world, facts, field):
    claim = _report(claims_world)
    if facts.get("true_premiums") == "policy":
        facts["true_premiums"] = {claims_world.policy.pk: Decimal("1500.00")}
    elif facts.get("true_premiums") == "zero":
        facts["true_premiums"] = {claims_world.policy.pk: Decimal("0")}
    with pytest.raises(ClaimRefused) as refused:
        _record(claims_world, claim, **facts)
    assert refused.value.field == field


def test_the_api_reads_and_writes_the_facts_and_the_page_shows_them(claims_world):
    from django.test import Client
    from django.urls import reverse

    claim = _report(claims_world)
    api = APIClient()
    api.force_authenticate(claims_world.staff["claims"].user)
    url = f"/api/v1/claims/{claim.pk}/facts/"
    assert api.post(url, {}, format="json").status_code == 400
    answer = api.post(url, {"learned_on": str(AS_OF - timedelta(days=3)), "true_birth_date": str(TRUE_BIRTH),
                            "true_premiums": [{"policy": claims_world.policy.pk, "annual_premium": "1500.00"}]},
                      format="json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["learned_on"], body["true_birth_date"]) == (str(AS_OF - timedelta(days=3)), str(TRUE_BIRTH))
    assert body["rescission_lapses_on"] == str(AS_OF + timedelta(days=27))
    assert {p["policy"]: p["true_annual_premium"] for p in body["policies"]}[claims_world.policy.pk] == "1500.00"
    refused = api.post(url, {"true_birth_date": "1980-05-17"}, format="json")  # on file: not misstated
    assert refused.status_code == 400 and "true_birth_date" in refused.json()["fields"]
    counter = APIClient()
    counter.force_authenticate(claims_world.staff["counter"].user)
    assert counter.post(url, {"learned_on": str(AS_OF)}, format="json").status_code == 403
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(claims_world.staff["claims"].user)
    page = client.get(reverse("claims:claim", args=[claim.pk]))
    assert b"1978-05-17" in page.content and b"the right to rescind lapses after" in page.content
    assert b"claim-facts-form" in page.content
