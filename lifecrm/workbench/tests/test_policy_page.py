"""The policy page: contract, dates, parties, versions, coverages, beneficiaries, journal; fixed query count."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecrm.core.actors import SYSTEM
from lifecrm.policies import services as policy_services

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 25)


def _page(client, policy, language=None):
    headers = {"accept-language": language} if language else {}
    return client.get(reverse("workbench:policy", args=[policy.pk]), headers=headers)


def test_the_page_shows_the_contract(login, world):
    policy = world.policy_a
    body = _page(login(world.staff["hq"]), policy).content.decode()
    assert policy.number in body
    assert "Term life" in body  # product, in English on an English page
    assert "in force" in body and "text-bg-success" in body
    for text in ("2022-03-31", "2042-03-31", "2022-04-30"):  # application/issue, maturity, paid-to & next due
        assert text in body
    assert "CNY 500,000.00" in body and "CNY 120.50" in body and "CNY 1,339.00" in body
    assert "bank auto-debit" in body and "monthly" in body
    assert "李娜" in body and "100 %" in body  # beneficiary with their share
    assert "policy issued" in body and "proposal received" in body  # the journal
    assert world.staff["agent"].name in body and "Beijing branch" in body and "agency" in body
    assert reverse("workbench:customer", args=[world.customer_a.pk]) in body  # owner, insured, payer


def test_version_history_lists_every_version(login, world):
    policy = world.policy_a
    policy_services.policy_new_version(actor=SYSTEM, policy_id=policy.pk, effective_from=date(2024, 1, 1), as_of=AS_OF,
                                       changes={"payment_method": "cash"}, reason="payment method change")
    body = _page(login(world.staff["hq"]), policy).content.decode()
    assert "payment method change" in body and "new business" in body
    assert "2022-03-31 – 2024-01-01" in body
    assert "cash at the counter" in body
    assert "contract changed" in body


def test_parties_outside_the_scope_are_named_without_a_link(login, world):
    """A branch-B policy whose insured lives in branch A: branch B's manager sees the insured unlinked."""
    from tests.factories import make_policy

    policy = make_policy(owner=world.customer_b, insured=world.customer_a, agent=None, branch=world.org.branch_b)
    body = _page(login(world.staff["branch_b"]), policy).content.decode()
    assert world.customer_a.name in body
    assert reverse("workbench:customer", args=[world.customer_a.pk]) not in body
    assert reverse("workbench:customer", args=[world.customer_b.pk]) in body


def _queries(client, policy) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = _page(client, policy)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_page_runs_a_fixed_number_of_queries(login, world):
    client = login(world.staff["hq"])
    simple = world.policy_b
    busy = world.policy_a
    for n, when in enumerate((date(2023, 1, 1), date(2024, 1, 1), date(2025, 1, 1)), start=1):
        policy_services.policy_new_version(actor=SYSTEM, policy_id=busy.pk, effective_from=when, as_of=AS_OF,
                                           changes={"sum_assured": Decimal(500000 + n * 1000)}, reason=f"change {n}")
    policy_services.policy_transition(actor=SYSTEM, policy_id=busy.pk, to_status="grace", effective_date=AS_OF,
                                      as_of=AS_OF)
    assert _queries(client, simple) == _queries(client, busy) <= 13


def test_a_long_journal_shows_its_first_20_events_and_pages_through_the_rest(login, world):
    policy = world.policy_a  # proposed and issued: two events
    for n in range(21):  # in and out of grace: 21 more
        to_status = "grace" if n % 2 == 0 else "in_force"
        policy_services.policy_transition(actor=SYSTEM, policy_id=policy.pk, to_status=to_status,
                                          effective_date=AS_OF, as_of=AS_OF, reason=f"step {n}")
    client = login(world.staff["hq"])
    body = _page(client, policy).content.decode()
    assert body.count("step ") == 20 and "step 20" in body and "step 0<" not in body
    assert "showing 1–20 of 23" in body
    rest = reverse("workbench:policy-events", args=[policy.pk])
    second = client.get(f"{rest}?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in second and "step 0<" in second and "proposal received" in second
    assert "showing 21–23 of 23" in second
    own_page = client.get(f"{rest}?page=2").content.decode()
    assert "<html" in own_page and policy.number in own_page and "step 0<" in own_page
    busy = _queries(client, policy)
    policy_services.policy_transition(actor=SYSTEM, policy_id=policy.pk, to_status="in_force", effective_date=AS_OF,
                                      as_of=AS_OF, reason="one more")
    assert _queries(client, policy) == busy <= 14  # a journal longer than a page costs one count, whatever its length


def test_the_journal_of_a_policy_outside_the_scope_is_not_found(login, world):
    response = login(world.staff["branch"]).get(reverse("workbench:policy-events", args=[world.policy_b.pk]))
    assert response.status_code == 404


def test_the_owners_delivery_receipt_is_recorded_from_the_page(login, world):
    """A branch manager records the signed receipt: the page shows the day and no form any more; a day before the
    issue date is refused on the page (400, the reason beside the field), nothing recorded."""
    from django.utils import timezone

    policy = world.policy_a
    client = login(world.staff["branch"])
    assert 'data-testid="delivery-form"' in _page(client, policy).content.decode()
    url = reverse("workbench:policy-delivery", args=[policy.pk])
    refused = client.post(url, {"delivered_on": "2022-03-30"})
    assert refused.status_code == 400 and "between its issue date (2022-03-31) and today" in refused.content.decode()
    assert client.post(url, {"delivered_on": "not a day"}).status_code == 400
    policy.refresh_from_db()
    assert policy.delivered_on is None
    day = min(date(2022, 4, 6), timezone.localdate())
    assert client.post(url, {"delivered_on": day.isoformat()}).status_code == 302
    policy.refresh_from_db()
    assert policy.delivered_on == day
    body = _page(client, policy).content.decode()
    assert 'data-testid="delivery-form"' not in body and day.isoformat() in body
    assert 'data-testid="delivery-form"' not in _page(login(world.staff["callcentre"]), policy).content.decode()


def test_every_event_the_system_journals_is_named_in_words(login, world):
    """The journal names an event in the page's language, never by its code (`paid_up`, `loan_granted`…): every
    kind the services, the batch and the generated book write has a label."""
    from lifecrm.policies.generator import EVENT_KINDS
    from lifecrm.workbench.pages import EVENT_KIND_LABELS

    written = set(EVENT_KINDS) | {"proposed", "issued", "transition", "contract_changed", "delivered", "loan_granted",
                                  "loan_repaid", "loan_cancelled", "loans_settled", "claim_paid", "premium_waived",
                                  "suspension_undone", "surrendered", "cooling_off_cancelled"}
    assert written - set(EVENT_KIND_LABELS) == set()
    policy = world.policy_a
    policy_services.policy_transition(actor=SYSTEM, policy_id=policy.pk, to_status="paid_up", effective_date=AS_OF,
                                      as_of=AS_OF, kind="paid_up", reason="premium-paying term completed")
    for language, words in (("en", "premiums completed: paid-up"), ("zh-hant", "繳費期滿：減額繳清"),
                            ("zh-hans", "缴费期满：减额缴清")):
        body = _page(login(world.staff["hq"]), policy, language).content.decode()
        assert words in body and "<td>paid_up</td>" not in body, language


def test_the_journal_names_who_acted_as_colleagues_know_them(login, world, django_user_model):
    """A staff member by their name, not their login; a login without a staff record by its user name; the batch
    as the system; in no more queries than the page runs anyway."""
    policy = world.policy_a
    manager = world.staff["hq"]
    client = login(manager)
    before = _queries(client, policy)
    policy_services.policy_transition(actor=manager.user, policy_id=policy.pk, to_status="grace",
                                      effective_date=AS_OF, as_of=AS_OF)
    body = _page(client, policy).content.decode()
    assert manager.name in body and f"<br>{manager.user.username}</td>" not in body
    assert _queries(client, policy) == before
    from lifecrm.org.templatetags.staff_names import staff_name

    assert staff_name(django_user_model(username="api-client")) == "api-client"
    assert staff_name(None) == ""
