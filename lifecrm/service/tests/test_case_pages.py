"""The case pages: the lists (filters, pages, a fixed number of queries), a case and every action on it with its
refusals (status machine, role, scope), attachments, and opening a case from the customer 360."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecrm.core.models import AuditEvent
from lifecrm.service import attachments, services
from lifecrm.service.models import Case, CaseAttachment, CaseEvent, DefaultQueue, Queue, QueueMember

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"


def _client(staff) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the refusals' English words are asserted
    client.force_login(staff.user)
    return client


def _open(w, customer=None, **kw) -> Case:
    return services.case_open(actor=w.staff["hq"].user, customer=customer or w.customer_a,
                              case_type=kw.pop("case_type", "inquiry"), subject=kw.pop("subject", "Premium question"),
                              channel="call", opened_at=kw.pop("opened_at", AT), **kw)


def _act(client, case, action, **data):
    return client.post(reverse("service:case-action", args=[case.pk, action]), data, HTTP_HX_REQUEST="true")


def _status(case) -> str:
    return Case.objects.get(pk=case.pk).status


@pytest.fixture
def desk(service_world):
    w = service_world
    queue = Queue.objects.create(code="general", name="綜合", name_en="General", org_unit=w.org.branch_a)
    DefaultQueue.objects.create(jurisdiction=None, queue=queue)
    QueueMember.objects.create(queue=queue, staff=w.staff["callcentre"], capacity=0)  # full: cases wait in the queue
    return w, queue


def test_the_lists_mine_the_queue_and_all_with_filters(desk):
    w, queue = desk
    waiting, urgent = _open(w), _open(w, subject="Ambulance", case_type="emergency")
    mine = _open(w, subject="Mine")
    services.case_assign(actor=w.staff["callcentre"].user, case=mine, assignee=w.staff["callcentre"], at=AT)
    other_branch = _open(w, w.customer_b, subject="Shanghai")
    client = _client(w.staff["callcentre"])
    url = reverse("service:cases")

    def numbers(query=""):
        response = client.get(url + query)
        assert response.status_code == 200
        return [c.number for c in response.context["page"]]

    assert numbers() == [mine.number]
    assert numbers("?view=queue") == [urgent.number, waiting.number]  # the most urgent first
    assert numbers("?view=all&case_type=emergency") == [urgent.number]
    assert numbers("?view=all&priority=3") == [waiting.number, mine.number]
    assert other_branch.number not in numbers("?view=all")  # branch B's case is outside the scope
    assert numbers("?view=all&status=open") == [mine.number]
    assert numbers(f"?view=all&queue={queue.code}") == [urgent.number, waiting.number, mine.number]
    assert client.get(url + "?priority=9").status_code == 400  # a filter value that does not exist
    agent = _client(w.staff["agent"])  # opens cases but handles none: only "all" (their own book)
    response = agent.get(url)
    assert response.context["view"] == "all" and [v for v, _ in response.context["views"]] == ["all"]


def test_the_list_reads_a_fixed_number_of_queries_and_pages(desk):
    w, _ = desk
    client = _client(w.staff["hq"])
    url = reverse("service:cases") + "?view=all"
    for _ in range(2):
        _open(w)
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(30):
        _open(w, case_type="complaint", category="complaint_service")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(response.context["page"]) == 25 and response.context["page"].paginator.count == 32
    assert len(client.get(url + "&page=2").context["page"]) == 7


def test_every_action_moves_the_case_and_is_logged(desk):
    w, queue = desk
    case = _open(w)
    handler, manager = _client(w.staff["callcentre"]), _client(w.staff["branch"])
    assert _act(handler, case, "take").status_code == 200
    assert Case.objects.get(pk=case.pk).assignee == w.staff["callcentre"]
    response = _act(manager, case, "assign", assignee=w.staff["claims"].pk)
    assert response.status_code == 200 and Case.objects.get(pk=case.pk).assignee == w.staff["claims"]
    assert _act(handler, case, "respond", note="We called back with the due date.").status_code == 200
    assert Case.objects.get(pk=case.pk).first_responded_at is not None
    assert _act(handler, case, "note", note="Customer sounded upset.").status_code == 200
    assert _act(handler, case, "wait", note="Asked for the bank slip").status_code == 200 and _status(case) == "waiting"
    assert _act(handler, case, "resume").status_code == 200 and _status(case) == "open"
    assert _act(handler, case, "priority", priority=1, note="VIP").status_code == 200
    assert Case.objects.get(pk=case.pk).priority == 1
    assert _act(handler, case, "resolve", note="Explained").status_code == 200 and _status(case) == "resolved"
    assert _act(handler, case, "reopen").status_code == 200 and _status(case) == "open"
    assert _act(handler, case, "resolve", note="Explained again").status_code == 200
    assert _act(handler, case, "close").status_code == 200 and _status(case) == "closed"
    kinds = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("kind", flat=True))
    assert kinds == ["opened", "assigned", "assigned", "responded", "note", "waiting", "resumed", "priority_changed",
                     "resolved", "reopened", "resolved", "closed"]
    page = handler.get(reverse("service:case", args=[case.pk]))
    assert page.status_code == 200 and b'data-testid="internal-note"' in page.content
    assert page.context["actions"] == []  # closed: nothing more
    cancelled = _open(w)
    assert _act(handler, cancelled, "cancel", note="Opened twice by mistake").status_code == 200
    assert _status(cancelled) == "cancelled"


@pytest.mark.parametrize(("action", "before", "data"), [
    ("resume", "open", {}), ("reopen", "open", {}), ("close", "open", {}), ("note", "closed", {"note": "late"}),
    ("take", "cancelled", {}), ("resolve", "cancelled", {"note": "x"}),
])
def test_the_status_machine_refuses_clearly(desk, action, before, data):
    w, _ = desk
    case = _open(w)
    Case.objects.filter(pk=case.pk).update(status=before)
    response = _act(_client(w.staff["callcentre"]), case, action, **data)
    assert response.status_code == 409 and response.context["error"]
    assert "is not possible now" in response.context["error"] or "nobody can take it" in response.context["error"]
    assert CaseEvent.objects.filter(case=case).count() == 1 and _status(case) == before


def test_the_role_decides_who_may_assign_and_who_works_cases(desk):
    w, _ = desk
    case = _open(w)
    response = _act(_client(w.staff["callcentre"]), case, "assign", assignee=w.staff["claims"].pk)
    assert response.status_code == 403 and "Your role may not do this" in response.context["error"]
    assert _client(w.staff["agent"]).post(reverse("service:case-action", args=[case.pk, "note"]),
                                          {"note": "x"}).status_code == 403  # agents do not work cases
    assert _act(_client(w.staff["callcentre"]), case, "note").status_code == 400  # an empty note
    assert _act(_client(w.staff["callcentre"]), case, "fly").status_code == 404
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_a_complaint_cannot_be_given_to_or_taken_by_the_staff_member_it_names(desk):
    w, _ = desk
    case = _open(w, case_type="complaint", about_staff=w.staff["callcentre"])
    response = _act(_client(w.staff["callcentre"]), case, "take")
    assert response.status_code == 409 and "never handled by the staff member it names" in response.context["error"]
    manager = _client(w.staff["branch"])
    page = manager.get(reverse("service:case", args=[case.pk]))
    choices = dict(next(a for a in page.context["actions"] if a["name"] == "assign")["form"].fields["assignee"].choices)
    assert w.staff["callcentre"].pk not in choices and w.staff["claims"].pk in choices
    assert _act(manager, case, "assign", assignee=w.staff["callcentre"].pk).status_code == 400
    assert Case.objects.get(pk=case.pk).assignee is None


def test_another_branchs_case_does_not_exist_for_them(desk):
    w, _ = desk
    case = _open(w)
    other = _client(w.staff["branch_b"])
    assert other.get(reverse("service:case", args=[case.pk])).status_code == 404
    assert _act(other, case, "note", note="x").status_code == 404
    assert other.post(reverse("service:case-attachment-upload", args=[case.pk])).status_code == 404


def _upload(client, case, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("service:case-attachment-upload", args=[case.pk]),
                       {"file": SimpleUploadedFile(name, content, content_type="application/pdf")})


def test_an_attachment_is_stored_encrypted_downloaded_and_audited(desk, settings):
    w, _ = desk
    case = _open(w)
    client = _client(w.staff["callcentre"])
    response = _upload(client, case, "../../etc/銀行 回單?.pdf", PDF)
    assert response.status_code == 302
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.filename == "銀行 回單_.pdf" and attachment.content_type == "application/pdf"
    stored = attachments.stored_path(attachment.stored_name)
    assert stored.parent == settings.LIFECRM_CASE_ATTACHMENTS and PDF not in stored.read_bytes()  # encrypted
    assert CaseEvent.objects.filter(case=case, kind="attachment").exists()
    download = client.get(reverse("service:case-attachment", args=[case.pk, attachment.pk]))
    assert download.status_code == 200 and download.content == PDF
    assert "filename*=UTF-8''" in download["Content-Disposition"]
    assert AuditEvent.objects.filter(action="reveal", object_type="service.case_attachment",
                                     object_id=str(attachment.pk)).exists()
    other = _open(w)
    assert client.get(reverse("service:case-attachment", args=[other.pk, attachment.pk])).status_code == 404


@pytest.mark.parametrize(("name", "content", "says"), [
    ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "larger than 10 MB"),
    ("tool.exe", b"MZ\x90\x00", "Only PDF, JPEG and PNG"),
    ("fake.pdf", b"<html>not a pdf</html>", "Only PDF, JPEG and PNG"),
    ("photo.pdf", b"\x89PNG\r\n\x1a\nxxxx", "Only PDF, JPEG and PNG"),  # the name and the bytes disagree
    ("empty.pdf", b"", "file is empty"),
])
def test_a_bad_attachment_is_refused_and_nothing_is_written(desk, settings, name, content, says):
    w, _ = desk
    case = _open(w)
    response = _upload(_client(w.staff["callcentre"]), case, name, content)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not CaseAttachment.objects.exists() and CaseEvent.objects.filter(case=case).count() == 1
    folder = settings.LIFECRM_CASE_ATTACHMENTS
    assert not folder.exists() or not any(folder.iterdir())


def test_an_attachment_whose_row_fails_leaves_no_file(desk, settings):
    w, _ = desk
    case = _open(w)
    Case.objects.filter(pk=case.pk).update(status="closed")  # the event is refused after the file was written
    response = _upload(_client(w.staff["callcentre"]), case, "late.pdf", PDF)
    assert response.status_code == 409
    assert not CaseAttachment.objects.exists()
    folder = settings.LIFECRM_CASE_ATTACHMENTS
    assert not folder.exists() or not any(folder.iterdir())


def test_a_case_opened_from_the_customer_360(desk):
    w, queue = desk
    client = _client(w.staff["callcentre"])
    customer_page = client.get(reverse("workbench:customer", args=[w.customer_a.pk]))
    url = reverse("service:case-new", args=[w.customer_a.pk])
    assert url.encode() in customer_page.content
    form = client.get(url)
    assert form.status_code == 200
    categories = client.get(reverse("service:case-categories") + "?case_type=complaint")
    assert b"complaint_sales" in categories.content and b"premium" not in categories.content
    response = client.post(url, {"case_type": "complaint", "category": "complaint_sales", "subject": "Mis-selling",
                                 "channel": "call", "about_staff": w.staff["agent"].pk, "priority": ""})
    case = Case.objects.get(subject="Mis-selling")
    assert response.status_code == 302 and response["Location"] == reverse("service:case", args=[case.pk])
    assert case.about_staff == w.staff["agent"] and case.priority == 2 and case.queue == queue
    wrong = client.post(url, {"case_type": "inquiry", "category": "complaint_sales", "subject": "x", "channel": "call",
                              "about_staff": w.staff["agent"].pk})
    assert wrong.status_code == 400
    assert set(wrong.context["form"].errors) == {"category", "about_staff"}
    assert client.get(reverse("service:case-new", args=[w.customer_b.pk])).status_code == 404
    assert Case.objects.count() == 1
    assert timedelta(0) <= datetime.now(UTC) - case.opened_at < timedelta(minutes=5)


def test_the_category_swap_keeps_a_chosen_category_that_is_still_valid(desk):
    """The type's select sends the category chosen with it; the answer keeps it selected when the new type has it
    (a swap must never reset a choice the user made), and the form syncs its requests and keeps a choice made while
    the answer was on its way."""
    w, queue = desk
    client = _client(w.staff["callcentre"])
    url = reverse("service:case-categories")
    kept = client.get(url, {"case_type": "complaint", "category": "complaint_sales"}).content.decode()
    assert '<option value="complaint_sales" selected>' in kept
    assert '<option value="">' in kept and "selected" not in kept.replace('"complaint_sales" selected', "")
    gone = client.get(url, {"case_type": "inquiry", "category": "complaint_sales"}).content.decode()
    assert "complaint_sales" not in gone and " selected" not in gone
    page = client.get(reverse("service:case-new", args=[w.customer_a.pk])).content.decode()
    assert 'hx-include="#id_category"' in page and 'hx-sync="this:replace"' in page
    assert "data-keeps-choice" in page  # the form restores a choice made while the answer was in flight
