"""`lifecrm seed` and the service desk: its configuration, and a history of contacts, cases and surveys that agrees
with the desk's own rules (status machine, SLA deadlines, surveys on closing)."""
from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import date, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecrm.core.digest import table_digest
from lifecrm.core.generator import generated_models
from lifecrm.core.registries import generator_steps
from lifecrm.org.models import Staff
from lifecrm.parties.models import Customer
from lifecrm.service import sla
from lifecrm.service.models import (
    Case,
    CaseEvent,
    ComplaintDecision,
    DefaultQueue,
    Interaction,
    Queue,
    QueueMember,
    RoutingRule,
    SlaAlert,
    Survey,
)
from lifecrm.service.rules import CaseEventKind, CaseStatus, next_status

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 25)
SERVICE_MODELS = (Case, CaseEvent, Interaction, Survey, Queue, RoutingRule, DefaultQueue, QueueMember,
                  ComplaintDecision)


def seed(customers: int = 300, seed: int = 7, **options) -> None:
    call_command("seed", customers=str(customers), seed=str(seed), as_of=AS_OF.isoformat(), no_progress=True,
                 stdout=StringIO(), **options)


@pytest.fixture
def book(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    seed()


def test_the_desk_is_configured_for_the_generated_org(book):
    labels = [m._meta.label for m in generated_models()]
    assert {"service.Case", "service.CaseEvent", "service.Interaction", "service.Survey",
            "service.QueueMember"} <= set(labels)
    connection.check_constraints(table_names=[m._meta.db_table for m in SERVICE_MODELS])
    assert {"callcentre", "complaints", "emergency", "priority"} <= set(Queue.objects.values_list("code", flat=True))
    assert Queue.objects.filter(code__startswith="counter-").count() == Staff.objects.filter(
        role="branch").values("org_unit").distinct().count()
    rules = {r.case_type_id or r.tier: r.queue_id for r in RoutingRule.objects.filter(branch__isnull=True)}
    assert rules == {"complaint": "complaints", "emergency": "emergency", "diamond": "priority",
                     "gold": "priority"}
    assert set(DefaultQueue.objects.values_list("jurisdiction_id", "queue_id")) == {
        (None, "callcentre"), ("CN", "callcentre")}
    for queue in Queue.objects.all():
        assert QueueMember.objects.filter(queue=queue).exists(), queue
    roles = set(QueueMember.objects.values_list("staff__role", flat=True))
    assert roles == {"callcentre", "counter", "hq"}


def test_routing_works_for_a_new_case(book):
    from lifecrm.core.actors import system
    from lifecrm.service.services import case_open

    customer = Customer.objects.filter(kind="person").order_by("pk").first()
    at = datetime.fromisoformat("2026-11-25T10:00:00+08:00")
    case = case_open(actor=system("test"), customer=customer, case_type="complaint", category="complaint_service",
                     channel="call", subject="x", opened_at=at)
    assert case.queue_id == "complaints" and case.assignee is not None
    assert case.number == f"CP{case.pk:08d}"


def test_history_covers_every_channel_and_case_type(book):
    assert Interaction.objects.count() > 600
    assert set(Interaction.objects.values_list("channel", flat=True)) >= {
        "call", "counter", "agent_visit", "email", "sms", "letter"}
    assert set(Case.objects.values_list("case_type", flat=True)) == {"inquiry", "request", "complaint", "emergency"}
    assert Interaction.objects.filter(case__isnull=False).count() == Case.objects.count()  # the opening contact
    children = Customer.objects.filter(kind="person", birth_date__gt=date(2008, 11, 25))
    assert children.exists() and not Interaction.objects.filter(customer__in=children).exists()
    assert not Case.objects.filter(customer__in=children).exists()
    old = Case.objects.filter(opened_at__date__lt=date(2026, 10, 1))
    assert not old.filter(assignee__isnull=True).exists()  # only the recent backlog waits in a queue
    statuses = Counter(Case.objects.values_list("status", flat=True))
    assert statuses["closed"] > statuses["open"] + statuses["waiting"] + statuses["new"] > 0
    complaints = Case.objects.filter(case_type="complaint")
    assert complaints.filter(about_staff__isnull=False).exists()
    for case in complaints.exclude(about_staff=None):
        assert case.assignee_id != case.about_staff_id
    for case in Case.objects.all():
        assert case.number == f"{case.case_type.prefix}{case.pk:08d}"
        assert case.branch_path == case.customer.branch_path


def test_each_log_is_consistent_with_its_case(book):
    events = defaultdict(list)
    for event in CaseEvent.objects.order_by("case", "seq"):
        events[event.case_id].append(event)
    for case in Case.objects.all():
        log = events[case.pk]
        assert [e.seq for e in log] == list(range(1, len(log) + 1))
        assert log[0].kind == CaseEventKind.OPENED and log[0].at == case.opened_at
        assert log[0].data["priority"] == case.priority
        status = CaseStatus.NEW
        for event in log[1:]:
            assert event.at >= log[0].at
            status = next_status(status, CaseEventKind(event.kind))
        assert case.status == status
        first = {e.kind: e.at for e in reversed(log)}
        assert case.first_responded_at == first.get("responded")
        assert case.closed_at == first.get("closed", first.get("cancelled"))
        if case.assignee_id:
            assert "assigned" in first
        assert all(e.at.date() <= AS_OF for e in log)


def test_cached_deadlines_are_what_the_sla_refresh_computes(book):
    cases = list(Case.objects.order_by("pk"))
    open_cases = [c for c in cases if c.is_open]
    assert any(c.resolution_due for c in open_cases)
    for case in cases:  # a case no longer open caches no deadline (its clocks stopped): the generator skips those
        before = (case.response_due, case.resolution_due)
        assert sla.case_deadlines_refresh(case) and (case.response_due, case.resolution_due) == before, case.number


def test_some_open_cases_breach_their_sla(book):
    at = datetime.fromisoformat("2026-11-25T18:00:00+08:00")
    assert sla.sla_sweep_open(at=at) > 0
    assert SlaAlert.objects.filter(kind="breach").exists()


def test_surveys_follow_closed_cases(book):
    closed = {c.pk: c for c in Case.objects.filter(status="closed")}
    csat = list(Survey.objects.filter(kind="csat"))
    assert len(csat) == len(closed)
    for survey in csat:
        case = closed[survey.subject_id]
        assert survey.subject_kind == "service.case" and survey.subject_label == case.number
        assert survey.customer_id == case.customer_id and survey.sent_at == case.closed_at
        assert survey.staff_id == case.assignee_id
        assert (survey.status == "sent") == bool(survey.token_hash) == (survey.skip_reason == "")
    sent = [s for s in csat if s.status == "sent"]
    answered = [s for s in sent if s.answered_at]
    assert 0.15 < len(answered) / len(sent) < 0.45
    scores = Counter(s.score for s in answered)
    assert scores[4] + scores[5] > scores[1] + scores[2]
    nps = Survey.objects.filter(kind="nps")
    assert nps.filter(answered_at__isnull=False).exists()
    assert set(nps.values_list("subject_kind", flat=True)) == {"parties.customer"}
    assert not Survey.objects.filter(answered_at__isnull=False, score__isnull=True).exists()


def test_the_same_seed_gives_the_same_history(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    seed(customers=150, seed=5)
    first = [table_digest(model) for model in SERVICE_MODELS]
    seed(customers=150, seed=5, replace=True)
    assert [table_digest(model) for model in SERVICE_MODELS] == first
    seed(customers=150, seed=6, replace=True)
    assert [table_digest(model) for model in SERVICE_MODELS] != first


def test_replacing_the_book_removes_its_history_and_what_derives_from_it(book):
    sla.sla_sweep_open(at=datetime.fromisoformat("2026-11-25T18:00:00+08:00"))
    assert SlaAlert.objects.exists()
    if connection.vendor == "postgresql":  # the test's transaction: its deferred foreign-key checks run now, as a
        with connection.cursor() as cursor:  # commit would run them (TRUNCATE refuses pending trigger events)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    seed(customers=60, seed=3, replace=True)
    assert not SlaAlert.objects.exists()
    assert Case.objects.count() < 60 and not Case.objects.exclude(customer__number__startswith="C").exists()


def test_the_history_step_queries_nothing_whatever_the_chunk_size(settings, tmp_path, monkeypatch):
    """Each chunk of the history costs no query (the SLA book and the desk are read once, before the chunks): the
    step may run in the forked process that generates the chunks, so it reports its counts through a file."""
    settings.VAR_DIR = tmp_path
    report = tmp_path / "queries.txt"
    step = generator_steps._steps["service.history"]

    def counted(ctx):
        with CaptureQueriesContext(connection) as queries:
            step.func(ctx)
        with report.open("a") as out:
            out.write(f"{ctx.chunk.size}:{len(queries)}\n")

    counted.generator_writes, counted.generator_per_chunk = step.func.generator_writes, True
    monkeypatch.setitem(generator_steps._steps, "service.history", dataclasses.replace(step, func=counted))
    monkeypatch.setattr("lifecrm.core.generator.steps.CHUNK_SIZE", 40)
    seed(customers=120)
    monkeypatch.setattr("lifecrm.core.generator.steps.CHUNK_SIZE", 120)
    seed(customers=120, replace=True)
    assert report.read_text().split() == ["40:0", "40:0", "40:0", "120:0"]
    assert Case.objects.exists()


def test_generated_complaints_and_emergencies_have_their_regulated_rows(book):
    """Each generated complaint has its `Complaint` (received the day it was opened, its decision due 15 days later,
    its stage following the case; closed only once the review may no longer be asked for) and each emergency its
    `EmergencyIntake`: the complaint pages, register and statistics show them."""
    from datetime import timedelta

    from django.utils import timezone

    from lifecrm.service.models import Complaint, EmergencyIntake

    complaints = Case.objects.filter(case_type="complaint")
    assert complaints.exists() and Complaint.objects.count() == complaints.count()
    for complaint in Complaint.objects.select_related("case"):
        case = complaint.case
        assert complaint.received_on == timezone.localtime(case.opened_at).date()
        assert complaint.decision_due == complaint.received_on + timedelta(days=15)
        expected = "open" if case.status in ("new", "open", "waiting") else "delivered"
        assert complaint.stage == expected, case.number
        if case.status == "closed":
            assert timezone.localtime(case.closed_at).date() > complaint.review_last_day
    emergencies = Case.objects.filter(case_type="emergency")
    assert emergencies.exists() and EmergencyIntake.objects.count() == emergencies.count()
    assert not EmergencyIntake.objects.filter(location="").exists()
    assert not EmergencyIntake.objects.filter(callback_phone="").exists()


def test_a_generated_decided_complaint_has_its_decision_letter_and_delivery_proof(book):
    """Each delivered complaint has its first decision (facts, decision, basis, the customer's rights) by its
    handler on the day its case was resolved, its letter's print file and the proof of its delivery: the register
    and the decision letter's page show real content."""
    from datetime import timedelta

    from django.utils import timezone

    from lifecrm.notifications.letters import print_letter
    from lifecrm.service.models import Complaint, ComplaintDecision

    delivered = Complaint.objects.filter(stage="delivered").select_related("case")
    assert delivered.exists() and ComplaintDecision.objects.count() == delivered.count()
    assert not Complaint.objects.filter(stage="open", decisions__isnull=False).exists()
    for complaint in delivered:
        case, [decision] = complaint.case, list(complaint.decisions.select_related("letter"))
        assert decision.kind == "first" and all((decision.facts, decision.decision, decision.basis, decision.rights))
        assert decision.decided_at == case.resolved_at and decision.decided_by_id == case.assignee_id
        assert decision.decided_on == timezone.localtime(case.resolved_at).date()
        assert decision.due == complaint.decision_due
        assert decision.on_time == (decision.decided_on <= complaint.decision_due)
        assert decision.delivery_channel and decision.delivery_reference
        assert decision.delivered_at == decision.decided_at + timedelta(days=2)
        assert case.about_staff_id != decision.decided_by_id
        assert decision.letter.key == f"complaint-{case.number}-first"
        assert decision.decision in decision.letter.html and case.number in decision.letter.html
    languages = set(ComplaintDecision.objects.values_list("language", flat=True))
    assert languages <= {"zh-hant", "zh-hans", "en"}
    sample = ComplaintDecision.objects.select_related("letter").first()
    assert print_letter(sample.letter.key, sample.letter.html).read_bytes().startswith(b"%PDF")
