"""The reminder ladder through run-daily: each step on its day, once; channels, languages, outboxes, SMTP,
PDF letters, the CN suspension-notice limit, TW demand-based grace, debit rejections, the timeline."""
import re
import shutil
import subprocess
import zlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone, translation

from lifecrm.banking.models import BankFile
from lifecrm.billing import reminders
from lifecrm.billing.models import (
    Collection,
    DueItem,
    DunningPlan,
    DunningStep,
    Reminder,
)
from lifecrm.billing.reference_data import BadPlanData, load_dunning_plans
from lifecrm.billing.services import due_items_raise, payment_record
from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent
from lifecrm.core.registries import timeline_sources
from lifecrm.notifications.models import Letter, OutboxMessage
from lifecrm.notifications.services import outbox_dispatch
from lifecrm.notifications.sms import read_outbox
from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.parties.models import Customer
from lifecrm.parties.services import Segment, consent_record, segments_record
from lifecrm.policies.models import Policy
from tests.factories import make_customer, make_mandate, make_org, make_policy, make_product, make_staff
from tests.smtp_server import free_port

pytestmark = pytest.mark.django_db
ADDRESS = "北京市东城区东直门南大街1号"


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    """The SMS spool and print folders; no quiet hours, so that `run-daily` (whose batch moment for a past date is
    the end of that date) sends the day's SMS and e-mails on their day (quiet hours: test_reminders_keep_quiet_hours)."""
    settings.LIFECRM_SMS_OUTBOX = tmp_path / "sms"
    settings.LIFECRM_LETTER_OUTBOX = tmp_path / "letters"
    settings.LIFECRM_QUIET_HOURS = "off"
    return tmp_path


@pytest.fixture
def org():
    return make_org()


@pytest.fixture
def agent(org):
    return make_staff("agent", org.team_a)


def cn_policy(org, agent, **customer_fields):
    """Issued 31 Aug 2026, monthly: instalment 1 falls due Wed 30 Sep 2026, grace to Mon 30 Nov."""
    owner = make_customer(branch=org.branch_a, agent=agent, **customer_fields)
    return make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2026, 8, 31),
                       as_of=date(2026, 8, 31))


@pytest.fixture
def policy(org, agent):
    return cn_policy(org, agent, address=ADDRESS)


def run_daily(day, since=None) -> None:
    call_command("run-daily", as_of=str(day), from_date=since and str(since), no_progress=True)


def print_letters(day) -> str:
    out = StringIO()
    call_command("print-letters", as_of=str(day), no_progress=True, stdout=out)
    return out.getvalue()


def ladder(policy, instalment=1):
    return list(Reminder.objects.filter(due_item__policy=policy, due_item__instalment=instalment)
                .order_by("scheduled_for", "id").values_list("step__code", "scheduled_for", "channel", "status"))


def reminder(policy, code, instalment=1) -> Reminder:
    return Reminder.objects.get(due_item__policy=policy, due_item__instalment=instalment, step__code=code)


def sms_message(outbox, policy, code, instalment=1) -> dict:
    key = f"{policy.number}-{instalment:03d}-cn-standard-{code}"
    found = [m for m in read_outbox(outbox / "sms") if m["message_id"] == key]
    assert len(found) == 1, f"{len(found)} SMS {key} in the outbox"
    return found[0]


def sms_file(outbox, policy, code, instalment=1) -> str:
    """The message as the forwarder hands it on: headers, a blank line, the text."""
    m = sms_message(outbox, policy, code, instalment)
    return (f"To: {m['to']}\nMessage-Id: {m['message_id']}\nClass: {m['class']}\nLanguage: {m['language']}\n\n"
            f"{m['text']}\n")


# -- plans are data ----------------------------------------------------------------------------------

def test_plans_are_loaded_on_migrate_and_loading_again_changes_nothing(tmp_path):
    assert set(DunningPlan.objects.values_list("code", flat=True)) >= {"cn-standard", "cn-vip", "hk-standard",
                                                                         "tw-standard"}
    steps = DunningStep.objects.count()
    assert load_dunning_plans() == 0 and DunningStep.objects.count() == steps
    for plan in DunningPlan.objects.all():
        assert plan.steps.filter(code="debit-rejected", anchor="due_date", offset_days=0).exists()
    bad = tmp_path / "plans.json"
    bad.write_text('{"plans": [{"code": "x", "name": "x", "jurisdiction": "CN", "tier": "gold", "steps": ['
                   '{"code": "s", "anchor": "payday", "offset_days": 1, "channel": "sms", "action": "reminder"}]}]}')
    with pytest.raises(BadPlanData, match="unknown anchor 'payday'"):
        load_dunning_plans(path=bad)
    assert not DunningPlan.objects.filter(code="x").exists()


# -- each step on its day, once -------------------------------------------------------------------------

CN_LADDER = [
    ("pre-due-15", date(2026, 9, 15), "sms", "sent"),
    ("pre-due-3", date(2026, 9, 27), "sms", "sent"),
    ("demand", date(2026, 10, 1), "letter", "sent"),
    ("agent-call", date(2026, 10, 10), "agent", "task_open"),
    ("call-centre", date(2026, 11, 20), "call_centre", "task_open"),  # grace ends Mon 30 Nov
    ("grace-warning", date(2026, 11, 27), "sms", "sent"),
    ("suspension-notice", date(2026, 12, 1), "letter", "sent"),  # suspended from 1 Dec
]


@pytest.mark.parametrize(("code", "day", "channel", "state"), CN_LADDER, ids=[s[0] for s in CN_LADDER])
def test_each_step_fires_on_its_day_and_not_the_day_before(policy, code, day, channel, state):
    run_daily(day - timedelta(days=1))
    assert not Reminder.objects.filter(due_item__policy=policy, step__code=code).exists()
    run_daily(day)
    row = reminder(policy, code)
    assert (row.scheduled_for, row.channel, row.status) == (day, channel, state)


def test_catch_up_day_by_day_sends_the_whole_ladder_and_a_rerun_changes_nothing(policy, outbox):
    run_daily("2026-12-01", since="2026-09-14")
    assert ladder(policy) == [(code, day, channel, state) for code, day, channel, state in CN_LADDER]
    assert Policy.objects.get(pk=policy.pk).status == "suspended"
    counts = (Reminder.objects.count(), len(list(outbox.rglob("*.*"))))
    assert reminders.reminders_run(as_of=date(2026, 12, 1), first_id=policy.pk, last_id=policy.pk) == 0
    run_daily("2026-12-01")
    run_daily("2026-12-01", since="2026-11-25")
    assert (Reminder.objects.count(), len(list(outbox.rglob("*.*")))) == counts


def test_steps_found_more_than_3_days_late_are_skipped_not_sent(policy, outbox):
    run_daily("2026-09-14")
    run_daily("2026-10-12")  # the batch did not run for four weeks
    assert ladder(policy) == [
        ("pre-due-15", date(2026, 9, 15), "preferred", "skipped"),
        ("pre-due-3", date(2026, 9, 27), "preferred", "skipped"),
        ("demand", date(2026, 10, 1), "letter", "skipped"),  # the CN grace runs from the due date anyway
        ("agent-call", date(2026, 10, 10), "agent", "task_open"),  # 2 days late: still done
    ]
    assert reminder(policy, "pre-due-15").detail == "stale: due 2026-09-15, reached 2026-10-12 (more than 3 days late)"
    assert not list(outbox.rglob("*.*"))


def test_a_late_demand_still_goes_out_when_a_demand_based_grace_waits_for_it(org, agent):
    owner = make_customer(branch=org.branch_a, agent=agent, address=ADDRESS)
    policy = make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2026, 8, 31),
                         as_of=date(2026, 8, 31), product=make_product(code="TERM-CN-D", grace_basis="demand"))
    run_daily("2026-10-12")
    row = reminder(policy, "demand")
    assert (row.status, row.scheduled_for, row.done_on) == ("sent", date(2026, 10, 1), date(2026, 10, 12))
    # Posted Mon 12 Oct → deemed to arrive Thu 15 Oct.
    assert DueItem.objects.get(policy=policy, instalment=1).demand_arrived == date(2026, 10, 15)


# -- channels, consent, language -------------------------------------------------------------------------

@pytest.mark.parametrize(("preferred", "fields", "channel", "fallback"), [
    ("email", {"email": "zhang@example.com"}, "email", False),
    ("email", {}, "sms", True),
    ("letter", {"address": ADDRESS}, "letter", False),
    ("letter", {}, "sms", True),
    ("phone", {}, "sms", False),
    ("sms", {"email": "zhang@example.com", "no_mobile": True}, "email", True),
    ("sms", {"address": ADDRESS, "no_mobile": True}, "letter", True),
])
def test_preferred_channel_with_fallbacks_when_a_detail_is_missing(org, agent, preferred, fields, channel, fallback):
    no_mobile = fields.pop("no_mobile", False)
    policy = cn_policy(org, agent, preferred_channel=preferred, **fields)
    if no_mobile:
        Customer.objects.filter(pk=policy.owner_id).update(mobile_phone="")
    run_daily("2026-09-15")
    row = reminder(policy, "pre-due-15")
    assert (row.channel, row.status) == (channel, "sent")
    assert ("fallback from preferred" in row.detail) is fallback


def test_no_contact_detail_at_all_records_a_failed_reminder(org, agent):
    policy = cn_policy(org, agent)
    Customer.objects.filter(pk=policy.owner_id).update(mobile_phone="")
    run_daily("2026-09-15")
    row = reminder(policy, "pre-due-15")
    assert (row.status, row.detail) == ("failed", "no mobile phone, e-mail or postal address on file")


def test_a_customer_without_marketing_consent_still_gets_service_reminders(policy, outbox):
    consent_record(actor=SYSTEM, customer=policy.owner, purpose="marketing", granted=False,
                   at=datetime(2026, 1, 5, tzinfo=UTC), source="counter")
    run_daily("2026-09-15")
    text = sms_file(outbox, policy, "pre-due-15")
    assert "Class: service" in text and reminder(policy, "pre-due-15").status == "sent"


def test_sms_outbox_file_has_headers_and_the_simplified_chinese_text(policy, outbox):
    run_daily("2026-09-15")
    headers, text = sms_file(outbox, policy, "pre-due-15").split("\n\n", 1)
    assert headers.splitlines() == [f"To: {policy.owner.mobile_phone}",
                                    f"Message-Id: {policy.number}-001-cn-standard-pre-due-15",
                                    "Class: service", "Language: zh-hans"]
    assert text.strip() == (f"【立孚人寿】张伟先生您好，您的保单{policy.number}本期续期保费CNY 120.50将于2026年9月30日到期，"
                            "届时将从您授权的账户自动扣款，请确保余额充足。如已缴费请忽略。")
    row = reminder(policy, "pre-due-15")
    key = f"{policy.number}-001-cn-standard-pre-due-15"
    assert row.recipient == policy.owner.mobile_phone
    assert row.detail == f"sms {key} in the outbox"
    message = OutboxMessage.objects.get(key=key)  # recorded with the reminder, sent by notifications.send_outbox
    assert (message.app, message.channel, message.status, message.customer_id) == ("billing", "sms", "sent",
                                                                                     policy.owner_id)


@pytest.mark.parametrize(("language", "present", "absent"), [
    ("zh-hans", ["续期保费", "保单", "缴费"], ["續期保費", "保單"]),
    ("zh-hant", ["續期保費", "保單", "繳費", "轉帳扣款"], ["续期保费", "保单", "缴费"]),
    ("en", ["renewal premium", "Dear Mr Zhang Wei", "30 September 2026"], ["保费", "保費"]),
])
def test_templates_follow_the_preferred_language(org, agent, outbox, language, present, absent):
    policy = cn_policy(org, agent, preferred_language=language)
    run_daily("2026-09-15")
    text = sms_file(outbox, policy, "pre-due-15")
    assert all(p in text for p in present), text
    assert not any(a in text for a in absent), text


def test_traditional_chinese_suspension_notice_uses_taiwanese_terms():
    from lifecrm.notifications.content import render

    message = render(names=["billing/messages/suspension_notice"], language="zh-hant", context={
        "policy": "P1", "suspended_on": "2027年10月7日", "reinstatement_years": 2, "jurisdiction": "TW"})
    assert "停效" in message.subject and "復效" in message.body and "六個月" in message.body
    assert "中止" not in message.body


# -- e-mail through the outbox, delivered to a real SMTP server ----------------------------------------------

def test_an_email_reminder_goes_through_the_outbox_to_a_real_smtp_server(org, agent, smtp):
    policy = cn_policy(org, agent, preferred_channel="email", email="zhang@example.com")
    run_daily("2026-09-15")  # billing.reminders records it, notifications.send_outbox (after it) sends it
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert (received["To"], received["From"]) == ("zhang@example.com", "service@lifecrm.invalid")
    assert received["Message-ID"] == f"<{policy.number}-001-cn-standard-pre-due-15@lifecrm.invalid>"
    # Django folds the encoded subject onto a continuation line; the parser keeps the fold's space.
    assert received["Subject"].strip() == f"续期保费缴费提醒（保单号 {policy.number}）"
    assert "尊敬的张伟先生" in received.get_content() and "2026年9月30日" in received.get_content()
    row = reminder(policy, "pre-due-15")
    assert (row.channel, row.status, row.recipient) == ("email", "sent", "zhang@example.com")
    message = OutboxMessage.objects.get(key=f"{policy.number}-001-cn-standard-pre-due-15")
    assert (message.status, message.attempts, message.app) == ("sent", 1, "billing")
    reminders.reminders_run(as_of=date(2026, 9, 15), first_id=policy.pk, last_id=policy.pk)
    run_daily("2026-09-16")
    assert len(smtp.messages) == 1 and OutboxMessage.objects.count() == 1  # never twice


def test_an_email_recorded_but_not_sent_goes_out_with_the_next_dispatch_once(org, agent, smtp):
    policy = cn_policy(org, agent, preferred_channel="email", email="zhang@example.com")
    run_daily("2026-09-14")
    with transaction.atomic():
        reminders.reminders_run(as_of=date(2026, 9, 15), first_id=policy.pk, last_id=policy.pk)
    # as if the process stopped right after the chunk's commit: the outbox holds it, nothing was sent
    assert not smtp.messages and OutboxMessage.objects.get().status == "queued"
    run_daily("2026-09-15")
    run_daily("2026-09-16")
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received["Message-ID"] == f"<{policy.number}-001-cn-standard-pre-due-15@lifecrm.invalid>"
    assert received["To"] == "zhang@example.com" and "2026年9月30日" in received.get_content()


def test_no_late_email_for_a_premium_settled_meanwhile(org, agent, smtp, settings):
    settings.LIFECRM_QUIET_HOURS = "21:00-08:00"  # the batch for 15 Sep records it at its end: held to the morning
    policy = cn_policy(org, agent, preferred_channel="email", email="zhang@example.com")
    run_daily("2026-09-15")
    assert not smtp.messages and OutboxMessage.objects.get().status == "queued"
    payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("120.50"), method="cash",
                   received_on=date(2026, 9, 15), natural_key="counter:T:resend-1", as_of=date(2026, 9, 15))
    run_daily("2026-09-16")
    assert not smtp.messages
    message = OutboxMessage.objects.get()
    assert message.status == "withdrawn" and "paid" in message.last_error


def test_reminders_keep_quiet_hours(org, agent, smtp, settings, outbox):
    """The batch for 15 Sep runs at the end of the day, in the quiet hours: its SMS and e-mails wait for 08:00
    the next morning (Asia/Shanghai) and go out with the next dispatch after it."""
    settings.LIFECRM_QUIET_HOURS = "21:00-08:00"
    policy = cn_policy(org, agent)
    emailed = cn_policy(org, agent, preferred_channel="email", email="li@example.com")
    run_daily("2026-09-15")
    held = OutboxMessage.objects.order_by("pk")
    assert [m.status for m in held] == ["queued", "queued"] and not smtp.messages
    assert not list(read_outbox(outbox / "sms"))
    morning = datetime(2026, 9, 16, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert {m.next_attempt_at for m in held} == {morning}
    assert outbox_dispatch(at=morning - timedelta(seconds=1)).sent == 0
    assert outbox_dispatch(at=morning).sent == 2
    assert sms_message(outbox, policy, "pre-due-15")["to"] == policy.owner.mobile_phone
    assert [m["To"] for m in smtp.messages] == ["li@example.com"] and emailed.owner.email == "li@example.com"


def test_a_chunk_records_its_messages_in_a_fixed_number_of_queries(org, agent, django_assert_max_num_queries):
    policies = [cn_policy(org, agent) for _ in range(15)]
    few, more = policies[:3], policies[3:]
    run_daily("2026-09-14")
    with django_assert_max_num_queries(30) as counted:
        reminders.reminders_run(as_of=date(2026, 9, 15), first_id=few[0].pk, last_id=few[-1].pk)
    with django_assert_max_num_queries(len(counted.captured_queries)):
        reminders.reminders_run(as_of=date(2026, 9, 15), first_id=more[0].pk, last_id=more[-1].pk)
    assert OutboxMessage.objects.filter(app="billing").count() == 15


def rejected_collection(policy, *, reason_code: str, on: date) -> Collection:
    """A direct debit of the policy's first premium, rejected by the bank on `on` with `reason_code`."""
    item = DueItem.objects.get(policy=policy, instalment=1)
    mandate = make_mandate(policy)
    sent = BankFile.objects.create(direction="out", format="pain.008", sha256=f"{policy.pk:064d}",
                                   filename="LCDD.xml", as_of=on, created_at=datetime(2026, 9, 25, tzinfo=UTC),
                                   content=b"<Document/>")
    return Collection.objects.create(due_item=item, mandate=mandate, end_to_end_id=f"E2E{item.pk}", amount=item.amount,
                                     collection_date=item.due_date, export_file=sent, status="rejected",
                                     reason_code=reason_code, result_on=on)


def test_a_debit_rejected_email_gives_the_banks_reason(org, agent, smtp):
    policy = cn_policy(org, agent, preferred_channel="email", email="zhang@example.com")
    run_daily("2026-09-30")
    collection = rejected_collection(policy, reason_code="AC04", on=date(2026, 9, 30))
    row = reminders.debit_rejected(due_item=collection.due_item, reason_code="AC04", as_of=date(2026, 9, 30))
    assert row.detail.endswith("in the outbox")  # recorded: the dispatcher sends it
    assert not [m for m in smtp.messages if "debit-rejected" in m["Message-ID"]]
    run_daily("2026-10-01")
    [received] = [m for m in smtp.messages if "debit-rejected" in m["Message-ID"]]
    assert "（账户已销户，银行原因代码：AC04）" in received.get_content()  # the reason in words, and its code


def test_an_smtp_failure_leaves_the_message_in_the_outbox_to_retry(org, agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    policy = cn_policy(org, agent, preferred_channel="email", email="zhang@example.com")
    run_daily("2026-09-15")
    assert reminder(policy, "pre-due-15").status == "sent"  # handed to the outbox
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("failed", 1) and "ConnectionRefusedError" in message.last_error


# -- letters as PDF ----------------------------------------------------------------------------------------

def pdf_streams(data: bytes) -> list[bytes]:
    """The PDF's FlateDecode streams, decompressed (page objects and font maps live in them)."""
    streams = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            streams.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return streams


def pdf_unicode(streams: list[bytes]) -> set[str]:
    """The characters the PDF's embedded fonts map to (their ToUnicode CMaps)."""
    chars = set()
    for text in streams:
        if b"begincmap" in text:
            for hex_value in re.findall(rb"<[0-9a-fA-F]+>\s*<([0-9a-fA-F]+)>", text):
                chars.add(bytes.fromhex(hex_value.decode()).decode("utf-16-be", errors="ignore"))
    return chars


def assert_pdf_shows(path: Path, phrases: list[str]) -> None:
    """A one-page PDF showing each phrase: read with pdftotext (poppler-utils) when installed, else checked
    against the glyphs its embedded fonts map to."""
    data = path.read_bytes()
    streams = pdf_streams(data)
    assert data.startswith(b"%PDF-")
    pdfinfo, pdftotext = shutil.which("pdfinfo"), shutil.which("pdftotext")
    if pdfinfo:  # poppler's own reading of the page tree, whatever object streams the writer used
        info = subprocess.run([pdfinfo, str(path)], capture_output=True, check=True, text=True).stdout
        assert re.search(r"^Pages:\s+1$", info, re.M), info
    else:
        assert sum(len(re.findall(rb"/Type\s*/Page\b", chunk)) for chunk in [data, *streams]) == 1
    assert any(b"NotoSansCJK" in chunk for chunk in [data, *streams])  # the CJK font is embedded
    if pdftotext:
        text = subprocess.run([pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                              text=True).stdout
        text = re.sub(r"\s+", "", text)
        for phrase in phrases:
            assert re.sub(r"\s+", "", phrase) in text, text
    else:
        chars = pdf_unicode(streams)
        for phrase in phrases:
            assert set(phrase.replace(" ", "")) <= chars, set(phrase) - chars


def test_the_demand_letter_is_a_pdf_with_the_chinese_text_and_fixes_the_deemed_arrival(policy, outbox):
    run_daily("2026-10-01")
    row = reminder(policy, "demand")
    name = f"{policy.number}-001-cn-standard-demand.pdf"
    assert (row.channel, row.status, row.recipient) == ("letter", "sent", ADDRESS)
    # Posted Thu 1 Oct 2026 (National Day): working days 8, 9 and Sat 10 Oct (a make-up working day).
    assert row.detail == f"letter {name}; demand deemed to arrive 2026-10-10"
    assert DueItem.objects.get(policy=policy, instalment=1).demand_arrived == date(2026, 10, 10)
    # The daily batch saves the letter's print file with its reminder; the print run makes the PDF of it, once.
    assert "保险费催缴通知" in Letter.objects.get(reminder=row).html
    assert not (outbox / "letters").exists() or not list((outbox / "letters").iterdir())
    assert print_letters("2026-10-01") == f"2026-10-01: 1 letters printed to {outbox / 'letters'}\n"
    printed = (outbox / "letters" / name).stat().st_mtime_ns
    assert print_letters("2026-10-01").startswith("2026-10-01: 1 letters printed")
    assert (outbox / "letters" / name).stat().st_mtime_ns == printed
    assert_pdf_shows(outbox / "letters" / name, [
        "保险费催缴通知", "尊敬的张伟先生", ADDRESS, f"保单{policy.number}", "宽限期至2026年11月30日止", "立孚人寿"])


def test_a_letter_recorded_after_the_print_run_is_printed_by_the_next(org, agent, policy, outbox):
    """A reminders chunk resumed after the print run (or a debit rejected later that day) records another
    letter for the date: the next print run prints it, and only it."""
    run_daily("2026-10-01")
    print_letters("2026-10-01")
    first = (outbox / "letters" / f"{policy.number}-001-cn-standard-demand.pdf").stat().st_mtime_ns
    late = cn_policy(org, agent, address=ADDRESS)
    due_items_raise(as_of=date(2026, 10, 1), first_id=late.pk, last_id=late.pk)
    assert reminders.reminders_run(as_of=date(2026, 10, 1), first_id=late.pk, last_id=late.pk) > 0
    assert print_letters("2026-10-01").startswith("2026-10-01: 2 letters")
    assert (outbox / "letters" / f"{late.number}-001-cn-standard-demand.pdf").exists()
    assert (outbox / "letters" / f"{policy.number}-001-cn-standard-demand.pdf").stat().st_mtime_ns == first


def test_the_print_run_refuses_a_letter_whose_print_file_is_missing(policy, outbox):
    run_daily("2026-10-01")
    Letter.objects.filter(reminder=reminder(policy, "demand")).delete()
    with pytest.raises(CommandError, match=r"2026-10-01: no print file for letter .*-demand$"):
        print_letters("2026-10-01")
    assert not list((outbox / "letters").glob("*.pdf"))


# -- suspension notice within 10 working days (CN) ----------------------------------------------------------

def test_suspension_notice_sent_on_the_suspension_day_meets_the_10_working_day_limit(policy, outbox):
    run_daily("2026-11-30")
    run_daily("2026-12-01")
    row = reminder(policy, "suspension-notice")
    name = f"{policy.number}-001-cn-standard-suspension-notice.pdf"
    assert row.detail == f"letter {name}; notice limit 2026-12-15: met"
    audit = AuditEvent.objects.get(object_type="billing.suspension_notice", object_id=str(row.pk))
    assert audit.after == {"policy": policy.number, "suspended_on": "2026-12-01", "sent_on": "2026-12-01",
                           "deadline": "2026-12-15", "met": True}
    print_letters("2026-12-01")
    assert_pdf_shows(outbox / "letters" / name, ["保单效力中止通知", "合同效力已自2026年12月1日起中止", "2年内"])
    assert Reminder.objects.filter(due_item__policy=policy, step__code="suspension-notice").count() == 1


def test_a_late_suspension_notice_still_goes_out_and_records_the_missed_limit(policy):
    run_daily("2026-11-30")
    run_daily("2026-12-17")  # the batch was down for two weeks
    row = reminder(policy, "suspension-notice")
    assert (row.status, row.scheduled_for, row.done_on) == ("sent", date(2026, 12, 1), date(2026, 12, 17))
    assert row.detail.endswith("notice limit 2026-12-15: MISSED")
    assert AuditEvent.objects.get(object_type="billing.suspension_notice", object_id=str(row.pk)).after["met"] is False


# -- TW: grace runs from the demand's arrival ------------------------------------------------------------

def test_tw_annual_policy_is_suspended_only_30_days_after_the_demand_arrives(org, agent):
    product = make_product(code="TERM-TW", jurisdiction_id="TW")
    owners = [make_customer(branch=org.branch_a, agent=agent, address="臺北市信義區市府路1號",
                            preferred_language="zh-hant") for _ in range(2)]
    reached, unreachable = (make_policy(owner=o, agent=agent, branch=org.branch_a, product=product,
                                        issue_date=date(2026, 8, 31), as_of=date(2026, 8, 31), premium_mode="annual")
                            for o in owners)
    Customer.objects.filter(pk=unreachable.owner_id).update(address="", mobile_phone="")
    # Due Tue 31 Aug 2027; demand posted Wed 1 Sep, deemed to arrive Mon 6 Sep (3 working days);
    # 30 days from its arrival → Wed 6 Oct 2027, suspended from Thu 7 Oct. Without a demand: never.
    run_daily("2027-10-06", since="2027-08-31")
    item = DueItem.objects.get(policy=reached, instalment=1)
    assert (item.demand_arrived, item.grace_end) == (date(2027, 9, 6), date(2027, 10, 6))
    assert reminder(reached, "demand").channel == "letter"
    assert Policy.objects.get(pk=reached.pk).status == "grace"
    run_daily("2027-10-07")
    p = Policy.objects.get(pk=reached.pk)
    assert (p.status, p.status_date) == ("suspended", date(2027, 10, 7))
    assert reminder(reached, "suspension-notice").detail.endswith("no statutory notice limit")
    # The owner who could not be reached has had no demand: still in grace, and the demand is retried daily.
    assert Policy.objects.get(pk=unreachable.pk).status == "grace"
    assert DueItem.objects.get(policy=unreachable, instalment=1).demand_arrived is None
    assert reminder(unreachable, "demand").status == "failed"
    Customer.objects.filter(pk=unreachable.owner_id).update(mobile_phone="+886912345678")
    run_daily("2027-10-08")
    row = reminder(unreachable, "demand")
    assert (row.status, row.channel, row.done_on) == ("sent", "sms", date(2027, 10, 8))
    assert DueItem.objects.get(policy=unreachable, instalment=1).demand_arrived == date(2027, 10, 8)


def test_cn_demand_option_counts_30_days_from_the_demand_letter_arrival(org, agent, outbox):
    owner = make_customer(branch=org.branch_a, agent=agent, address=ADDRESS)
    policy = make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2026, 8, 31),
                         as_of=date(2026, 8, 31), product=make_product(code="TERM-CN-D", grace_basis="demand"))
    run_daily("2026-09-30")
    assert DueItem.objects.get(policy=policy, instalment=1).grace_end is None
    run_daily("2026-10-01")  # demand posted on 1 Oct, deemed to arrive Sat 10 Oct (a make-up working day)
    run_daily("2026-10-02")
    item = DueItem.objects.get(policy=policy, instalment=1)
    # 30 days from 10 Oct → Mon 9 Nov 2026 (instead of 60 days from the due date, 30 Nov).
    assert (item.demand_arrived, item.grace_end) == (date(2026, 10, 10), date(2026, 11, 9))
    print_letters("2026-10-01")
    assert_pdf_shows(outbox / "letters" / f"{policy.number}-001-cn-standard-demand.pdf",
                     ["请您自本通知送达之日起30日内缴纳上述保险费", "第三十六条"])
    run_daily("2026-11-09")
    assert Policy.objects.get(pk=policy.pk).status == "grace"
    run_daily("2026-11-10")
    p = Policy.objects.get(pk=policy.pk)
    assert (p.status, p.status_date) == ("suspended", date(2026, 11, 10))


# -- tiers, phone tasks, debit rejections, timeline ------------------------------------------------------------

def test_a_diamond_customer_is_entitled_to_the_vip_ladder_an_agent_call_a_week_before_the_due_date(policy, agent):
    segments_record(actor=SYSTEM, as_of=date(2026, 9, 1), segments={policy.payer_id: Segment("diamond", "mature")})
    run_daily("2026-09-22")
    assert not Reminder.objects.filter(due_item__policy=policy, step__code="agent-call").exists()
    run_daily("2026-09-23")
    row = reminder(policy, "agent-call")
    assert (row.step.plan.code, row.status, row.assigned_to, row.recipient) == (
        "cn-vip", "task_open", agent, policy.owner.mobile_phone)


def test_a_new_tier_restarts_the_ladder_of_the_payers_open_premiums(policy, agent):
    run_daily("2026-09-22")  # standard ladder: pre-due-15 sent, its next step (pre-due-3) on 27 September
    assert {r.step.code for r in Reminder.objects.filter(due_item__policy=policy)} == {"pre-due-15"}
    segments_record(actor=SYSTEM, as_of=date(2026, 9, 22), segments={policy.payer_id: Segment("diamond", "mature")})
    run_daily("2026-09-23")  # the diamond ladder's agent call, a week before the due date; pre-due-15 not again
    rows = Reminder.objects.filter(due_item__policy=policy)
    assert sorted((r.step.plan.code, r.step.code) for r in rows) == [("cn-standard", "pre-due-15"), ("cn-vip", "agent-call")]


def test_an_agent_step_without_an_agent_goes_to_the_call_centre_queue(org):
    owner = make_customer(branch=org.branch_a)
    policy = make_policy(owner=owner, agent=None, branch=org.branch_a, issue_date=date(2026, 8, 31),
                         as_of=date(2026, 8, 31))
    run_daily("2026-10-10")
    row = reminder(policy, "agent-call")
    assert (row.status, row.assigned_to, row.detail) == ("task_open", None, "no active agent: call-centre queue")


def test_a_rejected_debit_sends_one_immediate_reminder(policy, outbox):
    run_daily("2026-09-30")
    assert not Reminder.objects.filter(step__code="debit-rejected").exists()  # ad hoc: never by date
    item = DueItem.objects.get(policy=policy, instalment=1)
    row = reminders.debit_rejected(due_item=item, reason_code="AM04", as_of=date(2026, 9, 30))
    assert (row.step.code, row.scheduled_for, row.channel, row.status) == ("debit-rejected", date(2026, 9, 30),
                                                                           "sms", "sent")
    assert outbox_dispatch(at=timezone.now()).sent == 1  # the outbox's dispatcher (`lifecrm send-outbox`)
    assert "银行自动扣款未成功（余额不足，原因代码AM04）" in sms_file(outbox, policy, "debit-rejected")
    assert reminders.debit_rejected(due_item=item, reason_code="AM04", as_of=date(2026, 10, 2)) is None
    assert Reminder.objects.filter(step__code="debit-rejected").count() == 1


def test_the_handler_is_registered_with_the_bank_files_rejection_hook():
    rejections = pytest.importorskip("lifecrm.billing.debits.rejections")
    if not hasattr(rejections, "REJECTION_HANDLERS"):
        pytest.skip("the bank files have no REJECTION_HANDLERS yet")
    assert reminders.REJECTION_HANDLER_REGISTERED
    assert rejections.REJECTION_HANDLERS.count(reminders.debit_rejected) == 1


def test_timeline_shows_reminders_and_call_outcomes_within_the_scope(policy, agent, org):
    run_daily("2026-10-10", since="2026-10-04")
    task = reminder(policy, "agent-call")
    reminders.phone_task_close(actor=SYSTEM, reminder_id=task.pk, outcome="will_pay", as_of=date(2026, 10, 10))
    with pytest.raises(reminders.ReminderRefused, match="not open"):
        reminders.phone_task_close(actor=SYSTEM, reminder_id=task.pk, outcome="paid", as_of=date(2026, 10, 10))
    source = timeline_sources()["billing.reminders"]
    with translation.override("en"):
        entries = source(scope=DataScope(ScopeKind.ALL), customer_id=policy.owner_id, as_of=date(2026, 10, 10))
    assert [e.kind for e in entries] == ["reminder"] * 2
    assert "call outcome: promised to pay" in entries[0].detail and policy.number in entries[0].title
    assert entries[1].at == date(2026, 10, 4)  # the demand, 3 days late: still sent (the ladder began on 4 Oct)
    own_book = DataScope(ScopeKind.OWN_BOOK, org.team_a.path, agent.pk, "agent")
    assert len(source(scope=own_book, customer_id=policy.owner_id, as_of=date(2026, 10, 10))) == 2
    other = make_staff("agent", org.team_a)
    assert source(scope=DataScope(ScopeKind.OWN_BOOK, org.team_a.path, other.pk, "agent"),
                  customer_id=policy.owner_id, as_of=date(2026, 10, 10)) == []
