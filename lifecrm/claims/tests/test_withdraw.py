"""The claimant withdraws a claim before its decision: withdrawn, its clocks stop (no deadline, off the work
lists), with the reason in its log; a decided claim or one with an advance booked cannot be withdrawn."""
import pytest
from django.test import Client
from django.urls import reverse

from lifecrm.claims import selectors, services
from lifecrm.claims.models import ClaimEvent
from lifecrm.claims.services import ClaimRefused
from lifecrm.org.selectors import scope_for_staff

from .conftest import AS_OF
from .test_services import _complete, _decided, _report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_a_withdrawn_claim_stops_its_clocks_and_leaves_the_work_lists(claims_world):
    handler = claims_world.staff["claims"]
    claim = _complete(claims_world, _report(claims_world))
    scope = scope_for_staff(handler)
    assert claim.next_due and selectors.open_work_claim_count(scope=scope, staff_id=handler.pk, as_of=AS_OF) == 1
    with pytest.raises(ClaimRefused):
        services.claim_withdraw(actor=handler.user, claim_id=claim.pk, reason=" ", as_of=AS_OF)
    claim = services.claim_withdraw(actor=handler.user, claim_id=claim.pk, reason="家属来电撤回申请", as_of=AS_OF)
    assert (claim.status, claim.next_due, claim.closed_on) == ("withdrawn", None, AS_OF)
    assert selectors.open_work_claim_count(scope=scope, staff_id=handler.pk, as_of=AS_OF) == 0
    assert ClaimEvent.objects.get(claim=claim, kind="withdrawn").note == "家属来电撤回申请"
    with pytest.raises(ClaimRefused):  # withdrawn for good
        services.claim_documents_receive(actor=handler.user, claim_id=claim.pk, codes=["claim_form"],
                                         received_on=AS_OF, as_of=AS_OF)


def test_a_decision_waiting_for_its_checker_may_be_withdrawn_a_decided_claim_not(claims_world):
    handler = claims_world.staff["claims"]
    claim = _decided(claims_world)  # above the threshold: waiting for the checker
    assert services.claim_withdraw(actor=handler.user, claim_id=claim.pk, reason="撤回", as_of=AS_OF).status == \
        "withdrawn"
    other = _complete(claims_world, _report(claims_world))
    services.claim_assess(actor=handler.user, claim_id=other.pk, as_of=AS_OF)
    services.claim_decide(actor=handler.user, claim_id=other.pk, outcome="declined", reasons="不予赔付", as_of=AS_OF)
    with pytest.raises(ClaimRefused, match="not decided yet"):
        services.claim_withdraw(actor=handler.user, claim_id=other.pk, reason="撤回", as_of=AS_OF)


def test_the_claim_page_withdraws_it(claims_world):
    claim = _report(claims_world)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hant")
    client.force_login(claims_world.staff["claims"].user)
    page = client.get(reverse("claims:claim", args=[claim.pk]))
    assert b"claim-withdraw-form" in page.content
    answer = client.post(reverse("claims:claim-action", args=[claim.pk, "withdraw"]), {"reason": "申請人撤回"})
    assert answer.status_code == 302
    page = client.get(reverse("claims:claim", args=[claim.pk]))
    assert b"claim-withdraw-form" not in page.content and "已撤回".encode() in page.content
