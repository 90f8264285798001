"""A complaint from the first call to the customer's satisfaction answer, through the real pages with one login per
role (issue 16, "Done means"): the call-centre agent logs the call on the customer 360 and opens the complaint
(routing gives it to the branch's complaint handler); the handler marks it complex and asks for an extension; the
branch manager approves it (the customer is told by SMS); the handler decides, fetches the decision letter, proves
its delivery and closes the case; the customer answers the satisfaction survey through the link in the SMS (no
login); the manager reads the answer on the report, credited to the handler.

Screenshots (zh-Hant, 1366 px): each role's home page (call centre, agent, counter, branch, head office), the SLA
dashboard and the complaint register (also in English)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from lifecrm.notifications.services import outbox_dispatch
from lifecrm.notifications.sms import read_outbox
from lifecrm.org.models import Staff
from lifecrm.parties.models import Customer
from lifecrm.policies.models import Policy
from lifecrm.service import services
from lifecrm.service.models import (
    Case,
    CaseEvent,
    Complaint,
    ComplaintDecision,
    Interaction,
    Queue,
    QueueMember,
    RoutingRule,
    Survey,
)
from tests.factories import PASSWORD, Org, make_customer, make_org, make_policy, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LINK = re.compile(r"/survey/[\w-]+/")
PHONE = "13800138000"


@dataclass
class Desk:
    org: Org
    callcentre: Staff
    handler: Staff  # a counter clerk of branch A who handles its complaints
    manager: Staff  # branch A's manager
    hq: Staff
    agent: Staff  # the customer's agent, whom the complaint is about
    customer: Customer
    policy: Policy
    overdue: Case  # an older inquiry, past its resolution target: the dashboards have something at risk


@pytest.fixture
def desk(transactional_db, settings) -> Desk:
    settings.LIFECRM_QUIET_HOURS = "off"  # the journey runs at any hour: its messages leave when the outbox runs
    org = make_org()
    agent = make_staff("agent", org.team_a, name="李業務")
    callcentre = make_staff("callcentre", org.branch_a, name="陳座席")
    handler = make_staff("counter", org.branch_a, name="周客服")
    manager = make_staff("branch", org.branch_a, name="林經理")
    hq = make_staff("hq", org.hq, name="黃總監")
    customer = make_customer(branch=org.team_a, agent=agent, name="王小明", name_romanised="Wang Xiaoming",
                             mobile_phone=PHONE, preferred_language="zh-hant")
    policy = make_policy(owner=customer, agent=agent, branch=org.team_a)
    queue = Queue.objects.create(code="complaints-a", name="北京投訴組", name_en="Beijing complaints",
                                 org_unit=org.branch_a)
    RoutingRule.objects.create(position=10, case_type_id="complaint", queue=queue)
    QueueMember.objects.create(queue=queue, staff=handler, capacity=10)
    other = make_customer(branch=org.team_a, agent=agent, name="張美玲", name_romanised="Zhang Meiling", sex="F")
    overdue = services.case_open(actor=callcentre.user, customer=other, case_type="inquiry", category="premium",
                                 subject="保費扣款日期查詢", channel="call",
                                 opened_at=timezone.now() - timedelta(days=7))
    services.case_assign(actor=callcentre.user, case=overdue, assignee=callcentre,
                         at=timezone.now() - timedelta(days=7))
    return Desk(org, callcentre, handler, manager, hq, agent, customer, policy, overdue)


def _log_in(page: Page, url: str, staff: Staff) -> None:
    page.goto(url + "/login/")
    page.get_by_label("使用者名稱").fill(staff.user.username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{staff.name}，您好")


def _log_out(page: Page) -> None:
    page.locator("#user-menu").click()
    page.get_by_role("button", name="登出").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def _home(page: Page, screenshots, role: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(screenshots / f"home-{role}-zh-hant.png"), full_page=True)


def _service_menu(page: Page, item: str) -> None:
    page.locator("#service-menu").click()
    page.get_by_role("link", name=item, exact=True).click()


def _open_complaint(page: Page, number: str) -> None:
    _service_menu(page, "投訴登記簿")
    page.get_by_test_id("complaint-register").get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)


def _fact(page: Page, label: str):
    """The value of a fact of the complaint page's summary (a <dd> after its <dt>)."""
    return page.locator(f"dt:text-is('{label}') + dd")


def _sms_to_customer(settings) -> list[dict]:
    outbox_dispatch(at=timezone.now())  # the outbox's dispatcher (`lifecrm send-outbox`, every minute)
    return [m for m in read_outbox(settings.LIFECRM_SMS_OUTBOX) if m["to"].endswith(PHONE)]


def test_a_complaint_from_the_call_to_the_customers_satisfaction_answer(page: Page, live_server, desk, settings,
                                                                         screenshots):
    url, customer = live_server.url, desk.customer

    # -- the call centre: the customer calls; found by the phone number, the call logged, the complaint opened
    _log_in(page, url, desk.callcentre)
    expect(page.get_by_test_id("home-work")).to_contain_text(desk.overdue.number)
    _home(page, screenshots, "callcentre")
    page.locator("#q").fill("138 0013 8000")
    page.locator("#q").press("Enter")
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    panel = page.get_by_test_id("interaction-panel")
    panel.get_by_role("button", name="投訴", exact=True).click()
    subject = panel.locator("#interaction-subject")
    subject.press("End")
    subject.type("：業務員未說明除外責任")
    panel.locator("label[for=interaction-outcome-case_opened]").click()
    panel.locator("#interaction-policy").select_option(label=desk.policy.number)
    subject.press("Enter")
    expect(panel.get_by_test_id("interaction-logged")).to_contain_text("投訴：業務員未說明除外責任")
    expect(page.get_by_test_id("customer-timeline")).to_contain_text("投訴：業務員未說明除外責任")

    page.get_by_test_id("open-case").click()
    form = page.get_by_test_id("case-open-form")
    # the type's categories come by htmx: wait for that answer (complaint's options may already be there, and a swap
    # arriving after the choice below would reset it)
    with page.expect_response(lambda response: "/service/cases/categories/" in response.url):
        form.get_by_label("類型").select_option(label="投訴")
    expect(form.get_by_label("類別").locator("option", has_text="銷售行為")).to_have_count(1)
    form.get_by_label("類別").select_option(label="銷售行為")
    form.get_by_label("事由", exact=True).fill("投保時業務員未說明除外責任")
    form.get_by_label("說明").fill("客戶來電表示投保時業務員未說明除外責任，要求退還保費。")
    form.get_by_label("保單").select_option(label=desk.policy.number)
    form.get_by_label("被投訴員工").select_option(label=f"{desk.agent.name} ({desk.agent.employee_no})")
    form.get_by_role("button", name="開立", exact=True).click()

    number = page.get_by_test_id("case-number")
    expect(number).to_have_text(re.compile(r"^CP\d{8}$"))
    case_number = number.inner_text()
    expect(page.get_by_test_id("case-handler")).to_have_text(desk.handler.name)  # routed: the complaint queue
    expect(page.get_by_test_id("case-body")).to_contain_text("北京投訴組")
    expect(page.get_by_test_id("case-body")).to_contain_text(f"針對 {desk.agent.name}")
    _log_out(page)

    # -- the handler: the complaint is on her home page; complex, and more time asked for
    _log_in(page, url, desk.handler)
    work = page.get_by_test_id("home-work")
    expect(work).to_contain_text(case_number)
    _home(page, screenshots, "counter")
    work.get_by_role("link", name=re.compile(case_number)).click()
    expect(page.get_by_test_id("case-number")).to_have_text(case_number)
    _open_complaint(page, case_number)
    received = timezone.localdate()
    expect(_fact(page, "決定期限")).to_have_text((received + timedelta(days=15)).isoformat())
    complex_form = page.get_by_test_id("complaint-action-complex")
    complex_form.get_by_label("原因").fill("須調閱投保錄音錄影並約談業務員")
    complex_form.get_by_role("button", name="標記為複雜").click()
    expect(_fact(page, "決定期限")).to_have_text((received + timedelta(days=30)).isoformat())
    extension = page.get_by_test_id("complaint-action-extension-request")
    extension.get_by_label("日數").fill("20")
    extension.get_by_label("原因").fill("錄音錄影須向銀行通路調取，約需三週")
    extension.get_by_role("button", name="申請延期").click()
    expect(_fact(page, "申請延期（日）")).to_contain_text(f"20 · {desk.handler.name}")
    expect(page.get_by_test_id("complaint-action-extension-approve")).to_have_count(0)  # a manager's to approve
    _log_out(page)

    # -- the branch manager: the branch's dashboard, the SLA dashboard, then the extension approved
    _log_in(page, url, desk.manager)
    expect(page.get_by_test_id("branch-dashboard")).to_be_visible()
    _home(page, screenshots, "branch")
    _service_menu(page, "服務水準儀表板")
    expect(page.get_by_test_id("kpi-open").locator(".fs-2")).to_have_text("2")
    expect(page.get_by_test_id("sla-at-risk")).to_contain_text(desk.overdue.number)
    page.screenshot(path=str(screenshots / "sla-dashboard-zh-hant.png"), full_page=True)
    _open_complaint(page, case_number)
    page.get_by_test_id("complaint-action-extension-approve").get_by_role("button", name="批准延期").click()
    expect(page.get_by_test_id("complaint-error")).to_have_count(0)
    expect(_fact(page, "延期（日）")).to_have_text("20")
    expect(_fact(page, "決定期限")).to_have_text((received + timedelta(days=50)).isoformat())
    notices = [m for m in _sms_to_customer(settings) if "extension" in m["message_id"]]
    assert len(notices) == 1 and case_number in notices[0]["text"], notices
    _log_out(page)

    # -- head office and the agent: their home pages while the complaint is open
    _log_in(page, url, desk.hq)
    expect(page.get_by_test_id("company-dashboard")).to_contain_text(desk.org.branch_a.name)
    _home(page, screenshots, "hq")
    _log_out(page)
    _log_in(page, url, desk.agent)
    _home(page, screenshots, "agent")
    _log_out(page)

    # -- the handler decides, fetches the letter, proves its delivery and closes the case
    _log_in(page, url, desk.handler)
    _open_complaint(page, case_number)
    decide = page.get_by_test_id("complaint-action-decide")
    decide.get_by_label("事實").fill("經調閱投保錄音錄影，業務員未逐條說明除外責任。")
    decide.get_by_label("處理決定", exact=True).fill("同意撤銷保單並全額退還已繳保費。")
    decide.get_by_label("依據").fill("《保險法》第十七條；公司銷售行為管理辦法。")
    decide.get_by_role("button", name="登記處理決定").click()
    decision_card = page.get_by_test_id("complaint-decision-first")
    expect(decision_card).to_contain_text("同意撤銷保單並全額退還已繳保費。")
    expect(decision_card).to_contain_text("按時")
    letter = page.context.request.get(url + decision_card.get_by_role("link", name="處理決定書（PDF）").get_attribute("href"))
    assert letter.ok and letter.headers["content-type"] == "application/pdf" and letter.body().startswith(b"%PDF")

    # The letter goes by registered post and its receipt comes back: the delivery time is entered to the minute (the
    # minute of the decision counts as after it; an earlier one is refused).
    decided_at = ComplaintDecision.objects.get().decided_at
    delivered = timezone.localtime(decided_at).replace(second=0, microsecond=0)
    delivery = page.get_by_test_id("complaint-action-delivery")
    delivery.get_by_label("送達方式").select_option(label="掛號郵寄")
    delivery.get_by_label("送達時間").fill(delivered.strftime("%Y-%m-%dT%H:%M"))
    delivery.get_by_label("回執編號").fill("XA123456789CN")
    delivery.get_by_role("button", name="登記送達").click()
    expect(page.get_by_test_id("complaint-error")).to_have_count(0)
    expect(decision_card).to_contain_text(f"已送達：掛號郵寄 · {delivered:%Y-%m-%d %H:%M} · XA123456789CN")
    expect(page.get_by_role("heading", level=1).locator("xpath=..")).to_contain_text("處理決定已送達")
    page.screenshot(path=str(screenshots / "complaint-decided-zh-hant.png"), full_page=True)

    _service_menu(page, "我的個案")
    page.get_by_label("狀態").select_option(label="已解決")
    page.get_by_role("button", name="篩選").click()
    page.get_by_test_id("case-list").get_by_role("link", name=case_number).click()
    # the case follows its complaint: no close while the customer may still ask for a review, and a link to the
    # complaint's page; once the review period is over (31 days later, here set back), the handler closes the case
    expect(page.get_by_test_id("case-action-close")).to_have_count(0)
    expect(page.get_by_test_id("case-action-resolve")).to_have_count(0)
    expect(page.get_by_test_id("case-complaint-link")).to_have_text("處理決定已送達")
    Complaint.objects.filter(case__number=case_number).update(review_last_day=timezone.localdate() - timedelta(days=1))
    page.reload()
    close = page.get_by_test_id("case-action-close")
    close.locator("summary").click()
    close.locator("form").get_by_role("button", name="結案").click()
    expect(page.get_by_test_id("case-body").locator(".badge", has_text="已結案")).to_be_visible()
    _log_out(page)

    # -- the customer: the link in the SMS, on a phone, no login
    surveys = [m for m in _sms_to_customer(settings) if m["message_id"].startswith("survey-")]
    assert len(surveys) == 1, surveys
    link = LINK.search(surveys[0]["text"]).group(0)
    phone = page.context.browser.new_context(locale="zh-TW", viewport={"width": 390, "height": 844})
    try:
        customer_page = phone.new_page()
        customer_page.goto(url + link)
        expect(customer_page.get_by_role("heading", level=1)).to_have_text("您對我們處理您案件的方式滿意嗎？")
        customer_page.locator("label[for=score-4]").click()
        customer_page.get_by_label("還有什麼想告訴我們的嗎？（選填）").fill("周小姐很細心，謝謝")
        customer_page.get_by_role("button", name="送出回覆").click()
        expect(customer_page.get_by_test_id("survey-thanks")).to_have_text("感謝您的回覆。")
    finally:
        phone.close()

    # -- the manager: the answer on the satisfaction report, credited to the handler; the register
    _log_in(page, url, desk.manager)
    _service_menu(page, "客戶滿意度")
    table = page.get_by_test_id("survey-table")
    expect(table.locator("tr", has_text=desk.handler.name)).to_have_count(1)
    expect(page.get_by_test_id("csat-average")).to_have_text("4.0")
    expect(page.get_by_test_id("response-rate")).to_have_text("100.0 %")
    page.screenshot(path=str(screenshots / "complaint-journey-survey-report-zh-hant.png"), full_page=True)
    _service_menu(page, "投訴登記簿")
    row = page.get_by_test_id("complaint-register").locator("tr", has_text=case_number)
    expect(row).to_contain_text("處理決定已送達")
    expect(row).to_contain_text("+20")
    expect(row).to_contain_text(desk.handler.name)
    page.screenshot(path=str(screenshots / "complaint-register-zh-hant.png"), full_page=True)
    page.locator("#language-menu").click()
    page.locator('button[name="language"][value="en"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Complaint register")
    expect(page.get_by_test_id("complaint-register").locator("tr", has_text=case_number)).to_contain_text(
        "decision delivered")
    page.screenshot(path=str(screenshots / "complaint-register-en.png"), full_page=True)

    # -- what the database holds at the end
    call = Interaction.objects.get(customer=customer)
    assert (call.channel, call.direction, call.outcome, call.staff, call.policy_id) == (
        "call", "in", "case_opened", desk.callcentre, desk.policy.pk)
    case = Case.objects.select_related("complaint").get(number=case_number)
    assert (case.case_type_id, case.category_id, case.status) == ("complaint", "complaint_sales", "closed")
    assert (case.opened_by, case.assignee, case.about_staff, case.queue_id) == (
        desk.callcentre, desk.handler, desk.agent, "complaints-a")
    complaint = case.complaint
    assert (complaint.stage, complaint.is_complex, complaint.extension_days) == ("delivered", True, 20)
    assert complaint.decision_due == complaint.received_on + timedelta(days=50)
    assert complaint.extension_requested_days is None and complaint.review_last_day is not None
    extended = CaseEvent.objects.get(case=case, kind="extended")
    assert extended.actor == desk.manager.user
    assert (extended.data["requested_by"], extended.data["approved_by"], extended.data["days"]) == (
        desk.handler.pk, desk.manager.pk, 20)
    assert extended.data["notice"]["channel"] == "sms"
    decision = ComplaintDecision.objects.select_related("letter").get(complaint=complaint)
    assert (decision.kind, decision.decided_by, decision.on_time) == ("first", desk.handler, True)
    assert (decision.delivery_channel, decision.delivery_reference, decision.delivery_recorded_by) == (
        "post", "XA123456789CN", desk.handler)
    assert decision.delivered_at == delivered == decision.decided_at.replace(second=0, microsecond=0)  # its minute
    assert "同意撤銷保單並全額退還已繳保費。" in decision.letter.html
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True).order_by("seq")) == [
        "opened", "assigned", "note", "note", "extended", "resolved", "responded", "closed"]
    survey = Survey.objects.get(subject_kind="service.case", subject_id=case.pk)
    assert (survey.status, survey.channel, survey.score, survey.comment) == ("sent", "sms", 4, "周小姐很細心，謝謝")
    assert (survey.staff, survey.branch, survey.subject_label) == (desk.handler, desk.org.branch_a, case_number)
    assert survey.answered_at is not None
