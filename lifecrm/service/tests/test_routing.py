"""Routing: rules to a queue (type, category, language, branch subtree, tier), the default queues, and then to the
member with the skills and the most free capacity weighted by effort; never to the staff a complaint names."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lifecrm.core.models import AuditEvent
from lifecrm.parties.models import CustomerSegment
from lifecrm.service import rules, services
from lifecrm.service.models import Case, CaseEvent, DefaultQueue, Queue, QueueMember, RoutingRule
from lifecrm.service.rules import Candidate, CaseFacts
from tests.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _queue(code: str, unit) -> Queue:
    return Queue.objects.create(code=code, name=code, name_en=code, org_unit=unit)


def _open(w, customer, case_type="inquiry", **kw) -> Case:
    return services.case_open(actor=w.staff["hq"].user, customer=customer, case_type=case_type,
                              subject=kw.pop("subject", "A question"), channel="call", opened_at=AT, **kw)


def _carrying(staff, effort: int, w, count: int = 1) -> None:
    """Give `staff` `count` open cases of `effort` each, opened before any routing exists."""
    for _ in range(count):
        case = _open(w, w.customer_a)
        Case.objects.filter(pk=case.pk).update(assignee=staff, status="open", effort=effort)


@pytest.fixture
def queues(service_world):
    w = service_world
    general = _queue("general", w.org.branch_a)
    DefaultQueue.objects.create(jurisdiction=None, queue=general)
    return w, general


def test_without_a_rule_or_a_default_the_case_stays_out_of_any_queue(service_world):
    case = _open(service_world, service_world.customer_a)
    assert case.queue is None and case.assignee is None


def test_the_first_matching_rule_by_position_wins_and_blank_fields_match_anything(queues):
    w, general = queues
    complaints, vip, shanghai, english = (_queue(c, w.org.hq) for c in ("complaints", "vip", "shanghai", "english"))
    RoutingRule.objects.create(position=10, case_type_id="complaint", queue=complaints)
    RoutingRule.objects.create(position=20, tier="diamond", queue=vip)
    RoutingRule.objects.create(position=30, branch=w.org.branch_b, queue=shanghai)
    RoutingRule.objects.create(position=40, language="en", category_id="premium", queue=english)
    RoutingRule.objects.create(position=5, case_type_id="complaint", queue=vip, is_active=False)  # switched off
    CustomerSegment.objects.create(customer=w.customer_b, tier="diamond", stage="mature", valid_from=date(2026, 1, 1),
                                   confirmed_on=date(2026, 11, 30), set_by="test")
    english_speaker = make_customer(branch=w.org.team_a, preferred_language="en")

    assert _open(w, w.customer_b, "complaint", category="complaint_sales").queue == complaints  # before the tier
    assert _open(w, w.customer_b).queue == vip  # a diamond customer, before their branch
    assert _open(w, make_customer(branch=w.org.team_b)).queue == shanghai  # the branch's subtree
    assert _open(w, english_speaker, category="premium").queue == english
    assert _open(w, english_speaker, category="policy_terms").queue == general  # no rule: the default
    assert AuditEvent.objects.filter(action="update", object_type="service.case", field="queue").count() == 5


def test_the_jurisdictions_default_queue_comes_before_head_offices(queues):
    w, general = queues
    hong_kong = _queue("hk", w.org.hq)
    DefaultQueue.objects.create(jurisdiction_id="HK", queue=hong_kong)
    assert _open(w, w.customer_a).queue == general  # a CN customer
    assert _open(w, make_customer(branch=w.org.team_a, jurisdiction_id="HK")).queue == hong_kong


def test_the_member_with_most_free_effort_gets_it_not_the_one_with_fewest_cases(queues):
    w, general = queues
    many_small, one_big = make_staff("callcentre", w.org.branch_a), make_staff("callcentre", w.org.branch_a)
    _carrying(many_small, 1, w, count=3)  # three cases, load 3: 7 free
    _carrying(one_big, 5, w)  # one case, load 5: 5 free
    for staff in (many_small, one_big):
        QueueMember.objects.create(queue=general, staff=staff, capacity=10)
    case = _open(w, w.customer_a)
    assert case.assignee == many_small and case.status == "open"
    event = CaseEvent.objects.get(case=case, kind="assigned")
    assert event.system_actor == "routing" and event.data == {"assignee": many_small.pk}


def test_skills_decide_who_may_take_it(queues):
    w, general = queues
    english_only, any_language = make_staff("callcentre", w.org.branch_a), make_staff("callcentre", w.org.branch_a)
    QueueMember.objects.create(queue=general, staff=english_only, capacity=20, languages=["en"])
    QueueMember.objects.create(queue=general, staff=any_language, capacity=5, categories=["premium"])
    assert _open(w, w.customer_a, category="premium").assignee == any_language  # zh-hans: not the English speaker
    assert _open(w, w.customer_a, category="policy_terms").assignee is None  # nobody takes that category in Chinese


def test_nobody_free_leaves_the_case_in_the_queue_unassigned(queues):
    w, general = queues
    busy = make_staff("callcentre", w.org.branch_a)
    _carrying(busy, 3, w)
    QueueMember.objects.create(queue=general, staff=busy, capacity=5)
    case = _open(w, w.customer_a, effort=3)  # 2 free, the case weighs 3
    assert case.queue == general and case.assignee is None and case.status == "new"
    assert _open(w, w.customer_a, effort=2).assignee == busy  # exactly the room left


def test_inactive_members_handlers_outside_the_scope_and_sales_agents_are_never_picked(queues):
    w, general = queues
    away, shanghai, agent = (make_staff("callcentre", w.org.branch_a), make_staff("callcentre", w.org.branch_b),
                             make_staff("agent", w.org.team_a))
    QueueMember.objects.create(queue=general, staff=away, capacity=50, is_active=False)
    QueueMember.objects.create(queue=general, staff=shanghai, capacity=50)  # cannot see a branch A case
    QueueMember.objects.create(queue=general, staff=agent, capacity=50)  # agents do not handle cases
    assert _open(w, w.customer_a).assignee is None


def test_a_complaint_never_goes_to_the_staff_member_it_names(queues):
    w, general = queues
    named, other = make_staff("callcentre", w.org.branch_a), make_staff("callcentre", w.org.branch_a)
    QueueMember.objects.create(queue=general, staff=named, capacity=50)
    QueueMember.objects.create(queue=general, staff=other, capacity=2)
    case = _open(w, w.customer_a, "complaint", category="complaint_service", about_staff=named)
    assert case.assignee == other
    Case.objects.filter(assignee=other).update(status="closed")
    QueueMember.objects.filter(staff=other).update(is_active=False)
    assert _open(w, w.customer_a, "complaint", about_staff=named).assignee is None  # only them: nobody


FACTS = CaseFacts(case_type="inquiry", category="premium", language="zh-hant", branch_path="/1/2/", tier="gold")


@pytest.mark.parametrize(("fields", "matches"), [
    (rules.RuleFields(), True),
    (rules.RuleFields(branch_path="/1/"), True),
    (rules.RuleFields(branch_path="/1/3/"), False),
    (rules.RuleFields(case_type="inquiry", tier="gold", language="zh-hant", category="premium"), True),
    (rules.RuleFields(tier="diamond"), False),
    (rules.RuleFields(language="en"), False),
])
def test_rule_matching(fields, matches):
    assert rules.rule_matches(fields, FACTS) is matches


def test_pick_handler_weighs_effort_and_breaks_ties_by_load_then_id():
    same_free = [Candidate(7, capacity=10, load=4), Candidate(3, capacity=8, load=2), Candidate(5, capacity=8, load=2)]
    assert rules.pick_handler(same_free, FACTS, effort=1) == 3  # 6 free each; lighter load; then lower id
    assert rules.pick_handler(same_free, FACTS, effort=7) is None
    assert rules.pick_handler(same_free, FACTS, effort=1, never=3) == 5


def test_the_case_history_names_routing_in_words(queues):
    """The history says "automatic routing" (in the page's language), not the program's name `routing`."""
    from django.test import Client
    from django.urls import reverse
    from django.utils import translation

    from lifecrm.service.selectors import case_history

    w, general = queues
    handler = make_staff("callcentre", w.org.branch_a)
    QueueMember.objects.create(queue=general, staff=handler, capacity=10)
    case = _open(w, w.customer_a)
    with translation.override("en"):
        assert [e.who for e in case_history(case=case) if e.event.kind == "assigned"] == ["automatic routing"]
    client = Client()
    client.force_login(w.staff["hq"].user)
    for language, words in (("en", "automatic routing"), ("zh-hant", "自動分派"), ("zh-hans", "自动分派")):
        page = client.get(reverse("service:case", args=[case.pk]), headers={"accept-language": language})
        body = page.content.decode()
        assert page.status_code == 200 and words in body and "· routing<" not in body, language
