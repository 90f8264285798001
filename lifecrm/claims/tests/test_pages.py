"""The claims pages through the client: a handler reports a death claim from the customer 360, asks for the
missing documents once, records them, assesses, decides; a colleague checks; the handler pays two beneficiaries;
the queue, the home page's work and the customer's timeline show it. In zh-Hant, zh-Hans and English."""
import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lifecrm.claims.models import Claim, Payout
from lifecrm.core.registries import merge_timeline, timeline_sources
from lifecrm.org.selectors import scope_for_staff
from lifecrm.policies import services as policy_services
from lifecrm.workbench import work

pytestmark = pytest.mark.django_db


def _client(staff, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(staff.user)
    return client


def test_a_handler_takes_a_death_claim_through_to_payment(claims_world, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = claims_world
    # two beneficiaries on the second policy; the first policy's three keep their 50/30/20
    handler, checker = _client(world.staff["claims"]), _client(world.staff["claims_checker"])
    customer_page = handler.get(reverse("workbench:customer", args=[world.insured.pk]))
    assert reverse("claims:claim-report", args=[world.insured.pk]).encode() in customer_page.content
    today = timezone.localdate()
    response = handler.post(reverse("claims:claim-report", args=[world.insured.pk]), {
        "claim_type": "death", "cause": "illness", "event_date": str(today), "channel": "phone",
        "claimant_name": "李娜", "claimant_phone": "13900001111", "claimant_relation": "spouse"})
    assert response.status_code == 302, response.content.decode()[:2000]
    claim = Claim.objects.get()
    url = reverse("claims:claim", args=[claim.pk])
    assert response["Location"] == url

    def act(client, step, data=None, status=302):
        answer = client.post(reverse("claims:claim-action", args=[claim.pk, step]), data or {})
        assert answer.status_code == status, answer.content.decode()[:3000]
        return answer

    act(handler, "documents", {"codes": ["claim_form", "claimant_id"], "received_on": str(today)})
    act(handler, "notice")
    refused = act(handler, "notice", status=400)
    assert "one notice listing everything" in refused.content.decode()
    rest = list(claim.documents.filter(received_on__isnull=True).values_list("code", flat=True))
    act(handler, "documents", {"codes": rest, "received_on": str(today)})
    act(handler, "assess")
    act(handler, "decide", {"outcome": "approved", "reasons": "资料齐全，责任成立"})
    claim.refresh_from_db()
    assert claim.status == "awaiting_approval"
    act(handler, "check", {"answer": "approve"}, status=403)  # the maker never checks their own
    page = checker.get(url)
    assert b"claim-check-approve" in page.content
    act(checker, "check", {"answer": "approve"})
    page = handler.get(url)
    assert page.status_code == 200 and b"claim-pay-form" in page.content
    keys = sorted({f"customer:{b.pk}" for b in world.beneficiaries})
    data = {"payee_count": str(len(keys))}
    for i, key in enumerate(keys):
        data |= {f"payee_{i}": key, f"bank_name_{i}": "中国工商银行", f"bank_code_{i}": "102100099996",
                 f"account_{i}": f"6222020200100000{i:03d}"}
    act(handler, "pay", data)
    claim.refresh_from_db()
    assert claim.status == "paid"
    assert sum(p.amount for p in Payout.objects.filter(claim=claim)) == Decimal("600000.00")
    # amounts as money (thousands grouped), never a bare "600000.00"
    body = handler.get(url).content.decode()
    assert "600,000.00" in body and not re.search(r"\b\d{4,}\.\d{2}\b", body), re.findall(r"\b\d{4,}\.\d{2}\b", body)
    for language, word in (("zh-hant", "首次受理"), ("zh-hant", "理賠"), ("zh-hans", "补充资料通知"), ("en", "First receipt")):
        page = _client(world.staff["claims"], language).get(url)
        assert page.status_code == 200 and word in page.content.decode()


def test_the_queue_the_home_page_and_the_timeline_show_the_claim(claims_world):
    from lifecrm.claims.services import claim_report

    world = claims_world
    today = timezone.localdate()
    claim = claim_report(actor=world.staff["callcentre"].user, insured=world.insured, claim_type="tpd",
                         cause="accident", event_date=today, channel="phone", reported_at=timezone.now(),
                         as_of=today, claimant_name=world.insured.name)
    queue = _client(world.staff["claims"]).get(reverse("claims:claims"))
    assert queue.status_code == 200 and claim.number in queue.content.decode()
    assert claim.number not in _client(world.staff["claims_b"]).get(reverse("claims:claims")).content.decode()
    staff = world.staff["claims"]
    items = work.actor_work(scope=scope_for_staff(staff), staff=staff, as_of=today, at=timezone.now(), limit=10)
    assert [i.title for i in items.items if i.source == "claims.claims"] == [f"{claim.number} · total permanent "
                                                                              "disability"]
    assert not [i for i in work.actor_work(scope=scope_for_staff(world.staff["counter"]), staff=world.staff["counter"],
                                           as_of=today, at=timezone.now(), limit=10).items
                if i.source == "claims.claims"]
    home = _client(staff).get(reverse("workbench:home"))
    assert claim.number in home.content.decode()
    entries = merge_timeline(timeline_sources("claim"), as_of=today, scope=scope_for_staff(staff),
                             customer_id=world.insured.pk, limit=10)
    assert [e.source for e in entries] == ["claims.claims"] and claim.number in entries[0].title


def test_one_third_each_stored_and_paid(claims_world):
    """The lead's exact fractions: three beneficiaries of one third each on the second policy."""
    world = claims_world
    b = policy_services.BeneficiaryInput
    policy_services.policy_new_version(
        actor=__import__("lifecrm.core.actors", fromlist=["SYSTEM"]).SYSTEM, policy_id=world.second.pk,
        effective_from=date(2020, 1, 1), as_of=date(2026, 11, 25), changes={}, reason="beneficiary change",
        beneficiaries=[b(p.name, "child", Fraction(1, 3), 1, p.pk) for p in world.beneficiaries])
    assert [x.share for x in world.second.versions.get(effective_to__isnull=True).beneficiaries.all()] == [
        Fraction(1, 3)] * 3


def test_the_queue_and_a_claim_page_ask_a_fixed_number_of_queries(claims_world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lifecrm.claims.services import claim_report

    world = claims_world
    today = timezone.localdate()
    client = _client(world.staff["claims"])

    def report():
        return claim_report(actor=world.staff["claims"].user, insured=world.insured, claim_type="death",
                            cause="illness", event_date=today, channel="phone", reported_at=timezone.now(),
                            as_of=today, claimant_name="李娜")

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    first = report()
    one = count(reverse("claims:claims")), count(reverse("claims:claim", args=[first.pk]))
    for _ in range(3):
        report()
    assert (count(reverse("claims:claims")), count(reverse("claims:claim", args=[first.pk]))) == one


def test_time_limit_attainment_by_branch(claims_world):
    from datetime import timedelta

    from lifecrm.claims import services
    from lifecrm.claims.selectors import attainment_by_branch

    world = claims_world
    today = timezone.localdate()
    user = world.staff["claims"].user
    claim = services.claim_report(actor=user, insured=world.insured, claim_type="death", cause="illness",
                                  event_date=today, channel="phone", reported_at=timezone.now(), as_of=today,
                                  claimant_name="李娜")
    codes = list(claim.documents.values_list("code", flat=True))
    services.claim_documents_receive(actor=user, claim_id=claim.pk, codes=codes, received_on=today, as_of=today)
    services.claim_assess(actor=user, claim_id=claim.pk, as_of=today)
    services.claim_decide(actor=user, claim_id=claim.pk, outcome="declined", reasons="不在保障期内", as_of=today)
    later = today + timedelta(days=4)  # one day after the 3 days
    services.claim_refusal_notice_send(actor=user, claim_id=claim.pk, as_of=later)
    rows = {r["unit"].pk: r for r in attainment_by_branch(scope=scope_for_staff(world.staff["hq"]),
                                                            since=today - timedelta(days=90), as_of=later)}
    a = rows[world.org.branch_a.pk]
    assert (a["decided"], a["decided_share"], a["refused"], a["refused_share"]) == (1, 100, 1, 0)
    assert rows[world.org.branch_b.pk]["decided_share"] is None
    mine = attainment_by_branch(scope=scope_for_staff(world.staff["claims_b"]), since=today, as_of=later)
    assert [r["unit"].pk for r in mine] == [world.org.branch_b.pk]
    page = _client(world.staff["claims"]).get(reverse("claims:attainment"))  # a branch in the page's language
    assert page.status_code == 200 and world.org.branch_a.name_en in page.content.decode()
    assert world.org.branch_a.name not in page.content.decode()
    page = _client(world.staff["claims"], "zh-hant").get(reverse("claims:attainment"))
    assert page.status_code == 200 and world.org.branch_a.name in page.content.decode()


def test_an_advance_from_the_claim_page_after_the_60_days(claims_world):
    from datetime import timedelta

    from lifecrm.claims import services

    world = claims_world
    today = timezone.localdate()
    start = today - timedelta(days=61)
    handler_user = world.staff["claims"].user
    claim = services.claim_report(actor=handler_user, insured=world.insured, claim_type="death", cause="illness",
                                  event_date=start, channel="phone", reported_at=timezone.now(), as_of=start,
                                  claimant_name="李娜")
    services.claim_documents_receive(actor=handler_user, claim_id=claim.pk, received_on=start, as_of=start,
                                     codes=list(claim.documents.values_list("code", flat=True)))
    services.claim_assess(actor=handler_user, claim_id=claim.pk, as_of=start)
    page = _client(world.staff["claims"]).get(reverse("claims:claim", args=[claim.pk]))
    assert b"claim-advance-form" in page.content and b"Insurance Law Art. 25" in page.content
    keys = [key for key, _name in services.payees_of(services.payout_plan(claim, {world.policy.pk: Decimal(1)}, as_of=start))]
    data = {"payee_count": str(len(keys)), f"amount_{world.policy.pk}": "30000.00", "reasons": "身故责任确定"}
    for i, key in enumerate(keys):
        data |= {f"payee_{i}": key, f"bank_name_{i}": "中国工商银行", f"bank_code_{i}": "102100099996",
                 f"account_{i}": f"6222020200100000{i:03d}"}
    answer = _client(world.staff["claims"]).post(reverse("claims:claim-action", args=[claim.pk, "advance"]), data)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    assert sum(p.amount for p in Payout.objects.filter(claim=claim, advance=True, status="sent")) == Decimal("30000")
    page = _client(world.staff["claims"], "zh-hant").get(reverse("claims:claim", args=[claim.pk]))
    assert b"claim-advance-form" not in page.content and "預付".encode() in page.content
