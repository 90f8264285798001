"""The outbox: recorded in the caller's transaction, sent once by the dispatcher to a real SMTP server (aiosmtpd)
and the SMS spool, retried with backoff on passing failures, given up on permanent ones or after N attempts; its
messages on the customer's timeline."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from lifecrm.core.jobs import run_step
from lifecrm.core.registries import timeline_kinds, timeline_sources
from lifecrm.notifications import services
from lifecrm.notifications.models import OutboxMessage
from lifecrm.notifications.services import message_delivered, message_queue, outbox_dispatch
from lifecrm.notifications.sms import read_outbox
from lifecrm.org.selectors import data_scope_for_user
from tests.factories import make_customer, make_org, make_staff
from tests.smtp_server import free_port

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 11:00 in CN, HK and TW: outside quiet hours
Status = OutboxMessage.Status


def queue(key: str, *, channel: str = "email", address: str = "zhang@example.com", at: datetime = AT, **fields):
    fields = {"subject": f"主题 {key}", "customer_id": 1} | fields
    return message_queue(app="test", key=key, channel=channel, address=address, language="zh-hans", body="正文",
                         at=at, jurisdiction="CN", **fields)


def test_a_message_is_recorded_in_the_callers_transaction_and_once_per_key():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue("ROLLED-BACK")
        raise RuntimeError("the business write failed")
    assert not OutboxMessage.objects.exists()
    first, again = queue("K1"), queue("K1", address="other@example.com")
    assert again.pk == first.pk and again.address == "zhang@example.com"
    assert OutboxMessage.objects.get().status == Status.QUEUED


def test_bad_messages_are_refused_with_a_clear_error():
    with pytest.raises(services.OutboxError, match="not an outbox channel"):
        queue("L", channel="letter")
    with pytest.raises(services.OutboxError, match="needs a key, an address and a text"):
        queue("A", address=" ")


def test_the_dispatcher_sends_each_due_message_once_by_smtp_and_sms(smtp, settings):
    queue("E1")
    queue("E2", address="refused@example.com")
    queue("S1", channel="sms", address="13800000001")
    queue("LATER", at=AT + timedelta(hours=1))
    done = outbox_dispatch(at=AT, chunk_size=2)
    assert (done.sent, done.given_up, done.retried) == (2, 1, 0)
    assert [(m["To"], m["Message-ID"], m["X-Lifecrm-Class"]) for m in smtp.messages] == [
        ("zhang@example.com", "<E1@lifecrm.invalid>", "service")]
    assert [(m["message_id"], m["to"], m["text"]) for m in read_outbox(settings.LIFECRM_SMS_OUTBOX)] == [
        ("S1", "13800000001", "正文")]
    rows = {m.key: m for m in OutboxMessage.objects.all()}
    assert (rows["E1"].status, rows["E1"].sent_at, rows["E1"].attempts) == (Status.SENT, AT, 1)
    assert rows["E2"].status == Status.GIVEN_UP and "550" in rows["E2"].last_error  # permanent: no retry
    assert rows["LATER"].status == Status.QUEUED
    assert outbox_dispatch(at=AT).sent == 0 and len(smtp.messages) == 1  # a second run sends nothing again
    assert message_delivered(key="S1", at=AT + timedelta(minutes=1))
    delivered = OutboxMessage.objects.get(key="S1")
    assert (delivered.status, delivered.sent_at, delivered.delivered_at) == (Status.DELIVERED, AT,
                                                                            AT + timedelta(minutes=1))
    assert not message_delivered(key="E2", at=AT)


def test_a_passing_failure_is_retried_with_backoff_and_given_up_after_the_last_attempt(smtp, settings):
    settings.LIFECRM_OUTBOX_MAX_ATTEMPTS, settings.LIFECRM_OUTBOX_RETRY_SECONDS = 3, 60
    smtp.replies["busy@example.com"] = "451 try again later"
    queue("B", address="busy@example.com")
    waits = []
    at = AT
    for _ in range(2):
        assert outbox_dispatch(at=at).retried == 1
        row = OutboxMessage.objects.get(key="B")
        assert row.status == Status.FAILED and "451" in row.last_error
        waits.append(row.next_attempt_at - at)
        assert outbox_dispatch(at=row.next_attempt_at - timedelta(seconds=1)).sent == 0  # not before its time
        at = row.next_attempt_at
    assert waits == [timedelta(seconds=60), timedelta(seconds=120)]
    assert outbox_dispatch(at=at).given_up == 1
    row = OutboxMessage.objects.get(key="B")
    assert (row.status, row.attempts) == (Status.GIVEN_UP, 3)
    del smtp.replies["busy@example.com"]
    assert outbox_dispatch(at=at + timedelta(days=1)).sent == 0 and not smtp.messages


def test_a_mail_server_that_is_down_is_a_passing_failure_and_the_retry_reaches_it(smtp, settings):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens there
    queue("DOWN")
    assert outbox_dispatch(at=AT).retried == 1
    settings.EMAIL_PORT = port
    row = OutboxMessage.objects.get(key="DOWN")
    assert outbox_dispatch(at=row.next_attempt_at).sent == 1
    assert OutboxMessage.objects.get(key="DOWN").attempts == 2 and len(smtp.messages) == 1


def test_a_retry_that_falls_in_quiet_hours_waits_for_their_end(smtp, settings):
    settings.LIFECRM_OUTBOX_RETRY_SECONDS = 3600
    smtp.replies["busy@example.com"] = "451 try again later"
    evening = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)  # 20:30 in CN: the retry would be at 21:30
    queue("Q", address="busy@example.com", at=evening)
    outbox_dispatch(at=evening)
    assert OutboxMessage.objects.get(key="Q").next_attempt_at == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # 08:00


def test_a_message_claimed_in_quiet_hours_goes_back_without_spending_an_attempt(smtp):
    queue("N", at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC))  # 20:00 in CN: due at once
    night = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # the dispatcher runs late: 22:00 in CN
    assert outbox_dispatch(at=night).deferred == 1
    row = OutboxMessage.objects.get(key="N")
    assert (row.status, row.attempts, row.next_attempt_at) == (Status.QUEUED, 0,
                                                              datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
    assert not smtp.messages


def test_two_dispatchers_never_claim_the_same_message_and_a_lost_claim_expires():
    for n in range(3):
        queue(f"C{n}")
    first = services._claim(AT, 2, None)
    second = services._claim(AT, 2, None)
    assert len(first) == 2 and len(second) == 1 and not {m.pk for m in first} & {m.pk for m in second}
    assert services._claim(AT, 10, None) == []
    # the dispatchers died while sending: their claims expire and the messages are due again
    again = services._claim(AT + services.CLAIM_LEASE, 10, None)
    assert sorted(m.key for m in again) == ["C0", "C1", "C2"]


def test_a_claim_holds_its_lease_from_when_it_is_made_not_from_the_moment_it_sends_at():
    """A batch catching up on a past date sends "at" the end of that date: its claims must still hold against a
    dispatcher running at the real time."""
    queue("LEASE")
    made = AT + timedelta(hours=9)
    (claimed,) = services._claim(AT, 10, None, lease_from=made)
    assert claimed.next_attempt_at == made + services.CLAIM_LEASE
    assert services._claim(made, 10, None) == []
    assert services._claim(made + services.CLAIM_LEASE - timedelta(seconds=1), 10, None) == []
    assert [m.key for m in services._claim(made + services.CLAIM_LEASE, 10, None)] == ["LEASE"]
    queue("NEVER-BEFORE-AT")  # a lease never counts from before the moment the claim sends at
    (early,) = services._claim(AT, 10, None, lease_from=AT - timedelta(hours=1))
    assert early.next_attempt_at == AT + services.CLAIM_LEASE


def test_a_dispatcher_whose_lease_expired_cannot_overwrite_the_outcome_of_the_one_that_reclaimed(smtp):
    queue("LATE-SENT")
    queue("LATE-FAIL", address="busy@example.com")
    queue("LATE-QUIET")
    first = services._claim(AT, 10, None)
    later = AT + services.CLAIM_LEASE  # the first dispatcher hangs past its lease: the messages are due again
    second = services._claim(later, 10, None)
    assert {m.pk for m in first} == {m.pk for m in second} and {m.claim for m in first} != {m.claim for m in second}
    assert services._dispatch_chunk(second, later).sent == 3
    recorded = list(OutboxMessage.objects.order_by("pk").values())
    # the first dispatcher wakes up: its late outcomes (a send, a passing failure, a deferral) change nothing
    smtp.replies["busy@example.com"] = "451 try again later"
    by_key = {m.key: m for m in first}
    late = services._dispatch_chunk([by_key["LATE-SENT"], by_key["LATE-FAIL"]], later + timedelta(minutes=1))
    assert (late.sent, late.retried) == (1, 1)
    night = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 22:00 in CN
    assert services._dispatch_chunk([by_key["LATE-QUIET"]], night).deferred == 1
    assert list(OutboxMessage.objects.order_by("pk").values()) == recorded
    assert {(m["status"], m["sent_at"], m["attempts"]) for m in recorded} == {(Status.SENT, later, 1)}


def _quiet_hours_cn() -> tuple[datetime, datetime]:
    """The start and end of the quiet hours (LIFECRM_QUIET_HOURS) a CN customer is in on the evening of 1 Dec."""
    start, end = services.quiet_hours("CN")
    zone = ZoneInfo("Asia/Shanghai")
    return (datetime.combine(date(2026, 12, 1), start, tzinfo=zone),
            datetime.combine(date(2026, 12, 2), end, tzinfo=zone))


def test_the_batch_leaves_the_messages_quiet_hours_would_defer_unclaimed_to_the_minute(smtp):
    start, end = _quiet_hours_cn()
    queue("CUSTOMER", at=start - timedelta(hours=1))
    queue("STAFF", at=start - timedelta(hours=1), customer_id=None)
    minute = timedelta(minutes=1)
    sendable = {at: set(services.sendable_messages(at).values_list("key", flat=True))
                for at in (start - minute, start, end - minute, end)}
    assert sendable == {start - minute: {"CUSTOMER", "STAFF"}, start: {"STAFF"}, end - minute: {"STAFF"},
                        end: {"CUSTOMER", "STAFF"}}
    assert outbox_dispatch(at=start, leave_quiet=True) == services.Dispatched(sent=1)  # the staff member's
    customer = OutboxMessage.objects.get(key="CUSTOMER")
    assert (customer.status, customer.claim, customer.next_attempt_at) == (Status.QUEUED, "", start - timedelta(hours=1))
    assert outbox_dispatch(at=end - minute, leave_quiet=True).sent == 0
    assert outbox_dispatch(at=end, leave_quiet=True).sent == 1  # the customer's, at the end of the quiet hours
    assert [m["Message-ID"] for m in smtp.messages] == ["<STAFF@lifecrm.invalid>", "<CUSTOMER@lifecrm.invalid>"]


def _daily_send_in_quiet_hours(customers: int, prefix: str) -> tuple[object, int]:
    """Staff messages before and after `customers` customers' ones, due on 30 Nov; the daily step for 30 Nov (sent as at
    its end, in the customers' quiet hours): its run and the queries it took."""
    day = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    queue(f"{prefix}STAFF-A", at=day, customer_id=None)
    for n in range(customers):
        queue(f"{prefix}C{n}", at=day)
    queue(f"{prefix}STAFF-Z", at=day, customer_id=None)  # the chunk's id range spans the customers' messages
    with CaptureQueriesContext(connection) as captured:
        run = run_step("notifications.send_outbox", as_of=date(2026, 11, 30), params_key=prefix, progress=False)
    return run, len(captured)


def test_the_daily_step_in_quiet_hours_neither_claims_nor_updates_the_customers_messages(smtp):
    few, few_queries = _daily_send_in_quiet_hours(3, "FEW-")
    many, many_queries = _daily_send_in_quiet_hours(30, "MANY-")
    assert few_queries == many_queries
    for run in (few, many):
        assert sum(run.chunks.values_list("rows", flat=True)) == 2
    assert [m["Message-ID"] for m in smtp.messages] == [
        f"<{prefix}STAFF-{end}@lifecrm.invalid>" for prefix in ("FEW-", "MANY-") for end in "AZ"]
    untouched = OutboxMessage.objects.exclude(key__contains="STAFF")
    assert set(untouched.values_list("status", "claim", "attempts", "next_attempt_at")) == {
        (Status.QUEUED, "", 0, datetime(2026, 11, 30, 3, 0, tzinfo=UTC))}
    assert outbox_dispatch(at=_quiet_hours_cn()[1]).sent == 33  # they go when quiet hours end


def test_the_command_and_the_daily_step_send_what_is_due(smtp):
    queue("CMD", customer_id=None)  # to staff: no quiet hours whenever the test runs
    out = StringIO()
    call_command("send-outbox", stdout=out)
    assert out.getvalue().startswith("1 sent, 0 to retry, 0 given up")
    day = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    queue("STAFF", at=day, customer_id=None)
    queue("CUSTOMER", at=day)
    queue("TOMORROW", at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    # a past business date: sent as at its end (23:59:59 in TIME_ZONE), in the customers' quiet hours
    run = run_step("notifications.send_outbox", as_of=date(2026, 11, 30), progress=False)
    assert sum(run.chunks.values_list("rows", flat=True)) == 1
    assert [m["Message-ID"] for m in smtp.messages] == ["<CMD@lifecrm.invalid>", "<STAFF@lifecrm.invalid>"]
    customer = OutboxMessage.objects.get(key="CUSTOMER")  # in quiet hours: left as it was, not claimed
    assert (customer.status, customer.claim, customer.next_attempt_at) == (Status.QUEUED, "", day)
    assert outbox_dispatch(at=datetime(2026, 12, 1, 0, 0, tzinfo=UTC)).sent == 1  # 08:00 in CN: it goes
    assert OutboxMessage.objects.get(key="TOMORROW").status == Status.QUEUED


def test_the_customers_messages_are_on_their_timeline_with_channel_and_status(
        smtp, settings, django_assert_num_queries):
    settings.LANGUAGE_CODE = "en"
    org = make_org()
    customer = make_customer(branch=org.branch_a)
    staff, outsider = make_staff("callcentre", org.branch_a), make_staff("branch", org.branch_b)
    queue("T1", customer_id=customer.pk)
    queue("T2", customer_id=customer.pk, channel="sms", address="138", subject="")
    queue("T3", customer_id=customer.pk, address="refused@example.com", at=AT + timedelta(minutes=1))
    queue("OTHER", customer_id=customer.pk + 1)
    outbox_dispatch(at=AT + timedelta(minutes=1))
    assert timeline_kinds()["message"] == "Messages"
    source = timeline_sources("message")["notifications.outbox"]
    scope = data_scope_for_user(staff.user)
    with django_assert_num_queries(1):
        entries = source(scope=scope, customer_id=customer.pk, as_of=AT.date())
    assert [(e.title, e.kind) for e in entries] == [
        ("e-mail given up: 主题 T3", "message"), ("SMS sent: 正文", "message"), ("e-mail sent: 主题 T1", "message")]
    assert entries[0].detail.startswith("given up after 1 attempt(s): SMTPDataError")
    with translation.override("zh-hant"):
        assert source(scope=scope, customer_id=customer.pk, as_of=AT.date())[1].title == "簡訊 已寄送：正文"
    assert source(scope=data_scope_for_user(outsider.user), customer_id=customer.pk, as_of=AT.date()) == []
    assert source(scope=scope, customer_id=customer.pk, as_of=AT.date() - timedelta(days=1)) == []


def _dispatch_queries(at: datetime, messages: int, *, prefix: str, queued_at: datetime | None = None
                      ) -> tuple[services.Dispatched, int]:
    """Queue `messages` at `queued_at` (every third an SMS, every fourth refused by the mail server, every second
    already tried once), then dispatch them at `at` in one chunk: the tally and the queries the dispatch took."""
    for n in range(messages):
        sms = n % 3 == 0
        queue(f"{prefix}{n}", at=queued_at or at, channel="sms" if sms else "email", subject="" if sms else "s",
              address="1380000" if sms else ("refused@example.com" if n % 4 == 1 else f"c{n}@example.com"))
    OutboxMessage.objects.filter(key__in=[f"{prefix}{n}" for n in range(0, messages, 2)]).update(attempts=1)
    with CaptureQueriesContext(connection) as captured:
        done = outbox_dispatch(at=at, chunk_size=1000)
    return done, len(captured)


def test_a_chunk_is_sent_and_recorded_in_queries_that_do_not_grow_with_its_messages(smtp):
    small, small_queries = _dispatch_queries(AT, 12, prefix="SMALL-")
    large, large_queries = _dispatch_queries(AT, 48, prefix="LARGE-")
    assert (large.sent, large.given_up) == (4 * small.sent, 4 * small.given_up) and small.given_up
    assert large_queries == small_queries <= 14
    rows = OutboxMessage.objects.filter(key__startswith="LARGE-").order_by("pk")
    assert {(m.status, m.attempts, m.sent_at) for m in rows if m.status == Status.SENT} == {
        (Status.SENT, 1, AT), (Status.SENT, 2, AT)}
    assert all("550" in m.last_error for m in rows if m.status == Status.GIVEN_UP)


def test_a_chunk_claimed_in_quiet_hours_goes_back_in_queries_that_do_not_grow_with_its_messages(smtp):
    night = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 22:00 in CN
    evening = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # 20:00 in CN: due at once
    small, small_queries = _dispatch_queries(night, 5, prefix="SMALL-", queued_at=evening)
    large, large_queries = _dispatch_queries(night, 40, prefix="LARGE-", queued_at=evening)
    assert (small.deferred, large.deferred, large.sent) == (5, 40, 0)
    assert large_queries == small_queries
    morning = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert set(OutboxMessage.objects.values_list("status", "attempts", "next_attempt_at")) == {
        (Status.QUEUED, 0, morning), (Status.FAILED, 1, morning)}  # no attempt spent
    assert not smtp.messages


def test_the_admin_lists_the_given_up_messages_read_only(admin_client):
    queue("GONE")
    OutboxMessage.objects.filter(key="GONE").update(status=Status.GIVEN_UP, last_error="SMTPDataError: 550")
    response = admin_client.get("/admin/notifications/outboxmessage/?status=given_up")
    assert response.status_code == 200 and b"GONE" in response.content and b"550" in response.content
    assert admin_client.get("/admin/notifications/outboxmessage/add/").status_code == 403
