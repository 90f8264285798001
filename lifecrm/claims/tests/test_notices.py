"""The claimant's decision letters: the refusal notice (facts, decision, basis, rights) and the approval's decision
notice are letters with an SMS and e-mail in the claimant's language, recorded once."""
from decimal import Decimal

import pytest

from lifecrm.claims import services
from lifecrm.claims.models import ClaimEvent, ClaimNotice
from lifecrm.notifications.models import Letter, OutboxMessage

from .conftest import AS_OF
from .test_services import _complete, _report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _assessed(world, **report):
    claim = _complete(world, _report(world, **report))
    return services.claim_assess(actor=world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)


@pytest.mark.parametrize(("language", "words"), [
    ("zh-hant", ("拒絕給付保險金通知書", "一、事實", "三、依據", "四、您的權利", "調解、仲裁", "5 年")),
    ("zh-hans", ("拒绝给付保险金通知书", "一、事实", "三、依据", "四、您的权利", "调解、仲裁", "5 年")),
    ("en", ("no benefit is payable", "Facts", "Basis", "Your rights", "arbitration", "5 years")),
])
def test_the_refusal_letter_states_facts_decision_basis_and_rights_in_the_claimants_language(
        claims_world, language, words):
    claim = _assessed(claims_world, claimant_email="li.na@example.com", claimant_language=language,
                      claimant_address="上海市浦东新区世纪大道100号")
    services.claim_decide(actor=claims_world.staff["claims"].user, claim_id=claim.pk, outcome="declined",
                          reasons="保单在事故发生时已中止", as_of=AS_OF)
    notice = services.claim_refusal_notice_send(actor=claims_world.staff["claims"].user, claim_id=claim.pk,
                                                as_of=AS_OF)
    letter = Letter.objects.get(key=f"claims-{claim.number}-refusal")
    assert notice.letter == letter and notice.kind == ClaimNotice.Kind.REFUSAL
    for word in (*words, claim.number, "保单在事故发生时已中止", "世纪大道100号", "李娜"):
        assert word in letter.html, word
    sms = OutboxMessage.objects.get(key=f"claims-{claim.number}-refusal-sms")
    email = OutboxMessage.objects.get(key=f"claims-{claim.number}-refusal-email")
    assert (sms.address, sms.language, email.address) == ("13900001111", language, "li.na@example.com")
    assert claim.number in sms.body and words[2] in email.body
    assert ClaimEvent.objects.filter(claim=claim, kind="refusal_notice").count() == 1


def test_a_refusal_notice_is_sent_once(claims_world):
    claim = _assessed(claims_world)
    services.claim_decide(actor=claims_world.staff["claims"].user, claim_id=claim.pk, outcome="declined",
                          reasons="等待期内确诊", as_of=AS_OF)
    services.claim_refusal_notice_send(actor=claims_world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    with pytest.raises(services.ClaimRefused):
        services.claim_refusal_notice_send(actor=claims_world.staff["claims"].user, claim_id=claim.pk, as_of=AS_OF)
    assert Letter.objects.count() == 1 and OutboxMessage.objects.filter(app="claims", key__contains="refusal",
                                                                        ).count() == 1


def test_an_approval_sends_its_decision_notice_once_it_takes_effect(claims_world):
    claim = _assessed(claims_world, claim_type="hospitalisation", amount_claimed=Decimal("12800.00"),
                      claimant_language="zh-hans")
    claim = services.claim_decide(actor=claims_world.staff["claims"].user, claim_id=claim.pk, outcome="approved",
                                  reasons="住院资料齐全", as_of=AS_OF)
    notice = ClaimNotice.objects.get(claim=claim, kind=ClaimNotice.Kind.DECISION)
    html = notice.letter.html
    assert "理赔决定通知书" in html and "CNY 25,600.00" in html and "2026年12月5日" in html
    sms = OutboxMessage.objects.get(key=f"claims-{claim.number}-decision-sms")
    assert "CNY 25,600.00" in sms.body and sms.language == "zh-hans"


def test_a_decision_waiting_for_its_checker_sends_nothing_until_approved(claims_world):
    claim = _assessed(claims_world)
    claim = services.claim_decide(actor=claims_world.staff["claims"].user, claim_id=claim.pk, outcome="approved",
                                  reasons="死亡证明齐全，保单有效", as_of=AS_OF)
    assert claim.status == "awaiting_approval" and not claim.notices.filter(kind="decision").exists()
    services.claim_decision_check(actor=claims_world.staff["claims_checker"].user, claim_id=claim.pk,
                                  approve=True, as_of=AS_OF)
    notice = claim.notices.get(kind="decision")
    for name in ("李娜", "张明", "张芳"):  # the payees and their amounts
        assert name in notice.letter.html
    assert "李娜: CNY 250,000.00" in notice.letter.html and "CNY 600,000.00" in notice.letter.html


def test_a_bad_claimant_email_or_language_is_refused(claims_world):
    with pytest.raises(services.ClaimRefused, match="e-mail"):
        _report(claims_world, claimant_email="not an address")
    with pytest.raises(services.ClaimRefused, match="language"):
        _report(claims_world, claimant_language="fr")


def test_a_closed_claim_asks_the_insured_for_their_csat_but_a_death_claim_asks_nobody(
        claims_world, django_capture_on_commit_callbacks):
    """The service desk's CSAT through core's served-closed registry: a death claim is not announced; a declined
    hospitalisation claim closed with its refusal surveys the insured once."""
    from lifecrm.service.models import Survey

    handler = claims_world.staff["claims"]
    death = _assessed(claims_world)
    assert death.claim_type == "death"
    services.claim_decide(actor=handler.user, claim_id=death.pk, outcome="declined", reasons="除外责任",
                          as_of=AS_OF)
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_refusal_notice_send(actor=handler.user, claim_id=death.pk, as_of=AS_OF)
    assert not Survey.objects.exists()

    claim = _assessed(claims_world, claim_type="hospitalisation", amount_claimed=Decimal("12800.00"))
    services.claim_decide(actor=handler.user, claim_id=claim.pk, outcome="declined", reasons="等待期内确诊",
                          as_of=AS_OF)
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_refusal_notice_send(actor=handler.user, claim_id=claim.pk, as_of=AS_OF)
    survey = Survey.objects.get()
    assert (survey.kind, survey.subject_kind, survey.subject_id, survey.subject_label) == (
        "csat", "claims.claim", claim.pk, claim.number)
    assert survey.customer == claim.insured
