"""The outbox: e-mails and SMS recorded in the sending app's transaction, delivered by a dispatcher.

`message_queue` records a message (nothing is sent: a rolled-back business write leaves no message, and the same
idempotency key recorded again is the message already there). `outbox_dispatch(at=…)` delivers the messages due
at `at`, a chunk at a time: each chunk is claimed first (status `sending`, a claim token and a lease; on
PostgreSQL the due rows are read with SELECT … FOR UPDATE SKIP LOCKED, on SQLite the claiming UPDATE is the
lock), so two dispatchers never send the same message; a dispatcher killed while sending leaves its claim to
expire after CLAIM_LEASE, and the message is tried again (at least once: README.md). An outcome is written only
where the claim is still the dispatcher's own: one whose lease expired leaves the outcome of the next one. A
passing failure (connection trouble, a 4xx reply) is retried with exponential backoff and given up after
LIFECRM_OUTBOX_MAX_ATTEMPTS attempts; a permanent one (a 5xx reply, a refused recipient) is given up at once. No
e-mail or SMS reaches a customer in the quiet hours of their jurisdiction: it waits for their end, whether it was
recorded or retried in them (the daily batch does not even claim it: `sendable_messages`).
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.signals import setting_changed
from django.db import IntegrityError, connection, transaction

from lifecrm.core.models import Jurisdiction
from lifecrm.notifications import mail, rules
from lifecrm.notifications.models import OutboxMessage
from lifecrm.notifications.sms import sms_gateway

CLAIM_LEASE = timedelta(minutes=15)  # a claimed message not reported sent or failed by then is due again
DUE = (OutboxMessage.Status.QUEUED, OutboxMessage.Status.FAILED, OutboxMessage.Status.SENDING)
ERROR_LENGTH = 300
WITHDRAWABLE = (OutboxMessage.Status.QUEUED, OutboxMessage.Status.FAILED)


class OutboxError(ValueError):
    """A message that cannot be recorded as given (an unknown channel, no address, no text)."""


@lru_cache(maxsize=1)
def _quiet_hours() -> dict:
    return rules.parse_quiet_hours(settings.LIFECRM_QUIET_HOURS)


setting_changed.connect(lambda **kwargs: _quiet_hours.cache_clear(), weak=False)


def _time_zones(codes: Iterable[str]) -> dict[str, ZoneInfo]:
    codes = {code for code in codes if code}
    if not codes:
        return {}
    return {code: ZoneInfo(name) for code, name in
            Jurisdiction.objects.filter(code__in=codes).values_list("code", "time_zone")}


def quiet_hours(jurisdiction: str) -> tuple[time, time] | None:
    """The quiet hours (local start and end) of the customers of `jurisdiction` (LIFECRM_QUIET_HOURS), else None."""
    hours = _quiet_hours()
    return hours.get(jurisdiction) or hours.get(rules.EVERYWHERE)


def quiet_until(*, customer_id: int | None, jurisdiction: str, at: datetime,
                zones: dict[str, ZoneInfo]) -> datetime | None:
    """The end of the quiet hours a message to a customer of `jurisdiction` falls in at `at`, else None."""
    window = quiet_hours(jurisdiction)
    if customer_id is None or window is None or jurisdiction not in zones:
        return None
    return rules.quiet_until(at.astimezone(zones[jurisdiction]), *window)


def quiet_jurisdictions(at: datetime) -> list[str]:
    """The jurisdictions whose customers are in their quiet hours at `at` (one query: the jurisdictions' time
    zones; none when quiet hours are off)."""
    if not _quiet_hours():
        return []
    zones = {code: ZoneInfo(name) for code, name in Jurisdiction.objects.values_list("code", "time_zone")}
    return sorted(code for code in zones if quiet_until(customer_id=0, jurisdiction=code, at=at, zones=zones))


def _check(*, key: str, channel: str, address: str, body: str) -> None:
    if channel not in OutboxMessage.Channel.values:
        raise OutboxError(f"{channel!r} is not an outbox channel (e-mail or SMS; letters are print files)")
    if not address.strip() or not body.strip() or not key:
        raise OutboxError("an outbox message needs a key, an address and a text")


def message_queue(*, app: str, key: str, channel: str, address: str, language: str, body: str, at: datetime,
                  subject: str = "", template: str = "", customer_id: int | None = None,
                  jurisdiction: str = "", not_before: datetime | None = None) -> OutboxMessage:
    """Record an e-mail or SMS in the caller's transaction, to be sent from `at` (or the end of the customer's
    quiet hours; or `not_before` when later: a staff member's next working hour). The same `key` again returns the
    message already recorded, unchanged."""
    _check(key=key, channel=channel, address=address, body=body)
    existing = OutboxMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing
    due = quiet_until(customer_id=customer_id, jurisdiction=jurisdiction, at=at,
                      zones=_time_zones([jurisdiction])) or at
    if not_before is not None:
        due = max(due, not_before)
    try:
        with transaction.atomic():  # a savepoint: a key recorded meanwhile by another transaction is that message
            return OutboxMessage.objects.create(
                key=key, app=app, channel=channel, address=address.strip(), language=language, body=body,
                subject=subject, template=template, customer_id=customer_id, jurisdiction=jurisdiction,
                next_attempt_at=due, created_at=at)
    except IntegrityError:
        return OutboxMessage.objects.get(key=key)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message of a batch for `messages_queue` (the fields of `message_queue`)."""

    key: str
    channel: str
    address: str
    language: str
    body: str
    subject: str = ""
    template: str = ""
    customer_id: int | None = None
    jurisdiction: str = ""
    not_before: datetime | None = None


def messages_queue(*, app: str, messages: Sequence[Outgoing], at: datetime, batch_size: int = 1000) -> int:
    """Record many messages in the caller's transaction (a daily chunk's), each as `message_queue` would, in a
    fixed number of queries: the keys already recorded, the jurisdictions' time zones, the INSERTs (a key
    recorded meanwhile by another transaction is that message: ON CONFLICT DO NOTHING). Returns how many
    messages are new."""
    for m in messages:
        _check(key=m.key, channel=m.channel, address=m.address, body=m.body)
    if not messages:
        return 0
    recorded = set(OutboxMessage.objects.filter(key__in=[m.key for m in messages]).values_list("key", flat=True))
    zones = _time_zones(m.jurisdiction for m in messages)
    new, seen = [], set(recorded)
    for m in messages:
        if m.key in seen:
            continue
        seen.add(m.key)
        due = quiet_until(customer_id=m.customer_id, jurisdiction=m.jurisdiction, at=at, zones=zones) or at
        if m.not_before is not None:
            due = max(due, m.not_before)
        new.append(OutboxMessage(
            key=m.key, app=app, channel=m.channel, address=m.address.strip(), language=m.language, body=m.body,
            subject=m.subject, template=m.template, customer_id=m.customer_id, jurisdiction=m.jurisdiction,
            next_attempt_at=due, created_at=at))
    OutboxMessage.objects.bulk_create(new, batch_size=batch_size, ignore_conflicts=True)
    return len(new)


def messages_withdraw(*, keys: Iterable[str], reason: str) -> int:
    """Withdraw the messages of `keys` not sent yet (queued, or failed and waiting for a retry): what they said
    no longer holds (a premium paid before its reminder went out). Returns how many were withdrawn."""
    keys = list(keys)
    if not keys:
        return 0
    return OutboxMessage.objects.filter(key__in=keys, status__in=WITHDRAWABLE).update(
        status=OutboxMessage.Status.WITHDRAWN, last_error=reason[:ERROR_LENGTH])


def message_delivered(*, key: str, at: datetime) -> bool:
    """A channel's delivery report: the message reached the recipient. False when no sent message has `key`."""
    return bool(OutboxMessage.objects.filter(key=key, status=OutboxMessage.Status.SENT)
                .update(status=OutboxMessage.Status.DELIVERED, delivered_at=at))


@dataclass
class Dispatched:
    sent: int = 0
    retried: int = 0
    given_up: int = 0
    deferred: int = 0  # claimed in a customer's quiet hours: back to wait for their end

    def __iadd__(self, other: Dispatched) -> Dispatched:
        for name in ("sent", "retried", "given_up", "deferred"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


def due_messages(at: datetime):
    return OutboxMessage.objects.filter(status__in=DUE, next_attempt_at__lte=at)


def _sendable(rows, quiet: Sequence[str]):
    """`rows` less the messages to customers of the `quiet` jurisdictions (those a dispatcher would defer)."""
    return rows.exclude(customer_id__isnull=False, jurisdiction__in=quiet) if quiet else rows


def sendable_messages(at: datetime):
    """The messages due at `at` less those a dispatcher would only defer to the end of their customer's quiet
    hours (`quiet_jurisdictions`): what a batch selects, so that in quiet hours it neither claims nor updates
    them; they stay due, and go with the first dispatch after the end of the quiet hours."""
    return _sendable(due_messages(at), quiet_jurisdictions(at))


def _claim(at: datetime, size: int, ids: tuple[int, int] | None, *, quiet: Sequence[str] = (),
           lease_from: datetime | None = None) -> list[OutboxMessage]:
    """Claim up to `size` messages due at `at` (with ids in the range `ids`; none to a customer of the `quiet`
    jurisdictions) for this dispatcher alone, in a transaction of its own, for CLAIM_LEASE from `lease_from`
    (default `at`; never before `at`)."""
    token = uuid.uuid4().hex
    lease_end = max(at, lease_from or at) + CLAIM_LEASE
    with transaction.atomic():
        rows = _sendable(due_messages(at), quiet).order_by("next_attempt_at", "pk")
        if ids is not None:
            rows = rows.filter(pk__gte=ids[0], pk__lte=ids[1])
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        picked = list(rows.values_list("pk", flat=True)[:size])
        if not picked:
            return []
        # the status condition again: on SQLite another dispatcher may have claimed some of them meanwhile
        due_messages(at).filter(pk__in=picked).update(
            status=OutboxMessage.Status.SENDING, claim=token, next_attempt_at=lease_end)
    return list(OutboxMessage.objects.filter(pk__in=picked, claim=token).order_by("pk"))


def _send_emails(messages: list[OutboxMessage]) -> dict[int, Exception | None]:
    emails = [(m.pk, mail.build_email(to=m.address, subject=m.subject, body=m.body, key=m.key)) for m in messages]
    return dict(mail.deliver(emails))


def _send_sms(messages: list[OutboxMessage]) -> dict[int, Exception | None]:
    gateway = sms_gateway()
    batched = len(messages) > 1 and hasattr(gateway, "begin_batch")
    if batched:
        gateway.begin_batch()
    outcomes: dict[int, Exception | None] = {}
    for m in messages:
        try:
            gateway.send(to=m.address, text=m.body, key=m.key, language=m.language)
        except Exception as exc:  # the gateway's error: this message failed, the others go on
            outcomes[m.pk] = exc
        else:
            outcomes[m.pk] = None
    if batched:
        try:
            gateway.flush()
        except OSError as exc:  # the spool was not written: none of its messages went
            outcomes = {pk: outcome or exc for pk, outcome in outcomes.items()}
    return outcomes


def _record(message: OutboxMessage, exc: Exception | None, at: datetime, zones, tally: Dispatched) -> None:
    """Set the outcome of a send on `message` (saved with its chunk's by `_save_outcomes`)."""
    Status = OutboxMessage.Status
    if exc is None:
        message.status, message.sent_at, message.last_error = Status.SENT, at, ""
        tally.sent += 1
    else:
        message.last_error = mail.describe(exc)[:ERROR_LENGTH]
        if rules.is_transient(exc) and message.attempts < settings.LIFECRM_OUTBOX_MAX_ATTEMPTS:
            retry_at = at + rules.retry_delay(message.attempts, base_seconds=settings.LIFECRM_OUTBOX_RETRY_SECONDS,
                                              cap_seconds=settings.LIFECRM_OUTBOX_RETRY_MAX_SECONDS)
            message.status = Status.FAILED
            message.next_attempt_at = quiet_until(customer_id=message.customer_id, jurisdiction=message.jurisdiction,
                                                  at=retry_at, zones=zones) or retry_at
            tally.retried += 1
        else:
            message.status = Status.GIVEN_UP
            tally.given_up += 1


OUTCOME_FIELDS = ("status", "sent_at", "last_error", "next_attempt_at", "attempts")


def _claimed(token: str):
    """The messages this dispatcher still holds: every outcome is written through it, so that a dispatcher whose
    lease expired (another one claimed its messages again) changes nothing."""
    return OutboxMessage.objects.filter(claim=token)


def _save_outcomes(messages: list[OutboxMessage], token: str) -> None:
    """Write the outcomes `_record` set, in a number of queries that does not grow with the messages: the sent ones
    share their outcome but for the attempt count (one UPDATE per count: at most LIFECRM_OUTBOX_MAX_ATTEMPTS), the
    failed ones (each with its own error and retry time) in one UPDATE of them all (`bulk_update`); each only
    where the claim is still `token`."""
    sent: dict[tuple, list[int]] = defaultdict(list)
    failed = []
    for m in messages:
        if m.status == OutboxMessage.Status.SENT:
            sent[(m.sent_at, m.next_attempt_at, m.attempts)].append(m.pk)
        else:
            failed.append(m)
    for (sent_at, next_attempt_at, attempts), pks in sent.items():
        _claimed(token).filter(pk__in=pks).update(
            status=OutboxMessage.Status.SENT, sent_at=sent_at, last_error="", next_attempt_at=next_attempt_at,
            attempts=attempts)
    if failed:
        _claimed(token).bulk_update(failed, OUTCOME_FIELDS)


def _dispatch_chunk(claimed: list[OutboxMessage], at: datetime) -> Dispatched:
    """Send a claimed chunk in a fixed number of queries (not one per message): the messages in their customer's
    quiet hours back to the queue (one UPDATE per status and end of quiet hours), then each channel's messages sent
    together and their outcomes written as soon as that channel's are known. Every write is conditional on the
    chunk's claim token: a dispatcher whose lease expired leaves the outcome of the one that claimed again."""
    (token,) = {m.claim for m in claimed}
    tally = Dispatched()
    zones = _time_zones(m.jurisdiction for m in claimed)
    now_sendable = []
    waiting: dict[tuple[str, datetime], list[int]] = defaultdict(list)
    for m in claimed:
        wait = quiet_until(customer_id=m.customer_id, jurisdiction=m.jurisdiction, at=at, zones=zones)
        if wait is None:
            m.attempts += 1
            now_sendable.append(m)
        else:  # back to the queue until the customer's quiet hours end; no attempt spent
            status = OutboxMessage.Status.FAILED if m.attempts else OutboxMessage.Status.QUEUED
            waiting[(status, wait)].append(m.pk)
            tally.deferred += 1
    for (status, wait), pks in waiting.items():
        _claimed(token).filter(pk__in=pks).update(status=status, next_attempt_at=wait)
    by_channel = {OutboxMessage.Channel.EMAIL: _send_emails, OutboxMessage.Channel.SMS: _send_sms}
    for channel, send in by_channel.items():
        messages = [m for m in now_sendable if m.channel == channel]
        if messages:
            outcomes = send(messages)
            for m in messages:
                _record(m, outcomes[m.pk], at, zones, tally)
            _save_outcomes(messages, token)
    return tally


def outbox_dispatch(*, at: datetime, chunk_size: int | None = None, limit: int | None = None,
                    ids: tuple[int, int] | None = None, leave_quiet: bool = False,
                    clock: Callable[[], datetime] | None = None) -> Dispatched:
    """Deliver the messages due at `at` (with ids in the range `ids`: a batch chunk), a chunk
    (LIFECRM_OUTBOX_CHUNK) at a time, until none is left or `limit` have been claimed. Safe to run in several
    processes at once: each message is claimed by one of them.

    `leave_quiet` (the daily batch): the messages to customers in their quiet hours at `at` are not claimed at all
    (`sendable_messages`; one query more) rather than claimed and deferred to the end of the quiet hours. The
    every-minute dispatcher defers them instead: once deferred they are no longer due, where left they would be
    read again by each of its claims until the quiet hours end.

    `clock` (a real dispatcher's: `timezone.now`): each claim's lease counts from the moment it is made, not from
    `at`. A batch catching up on a past date sends "at" the end of that date, and a dispatcher working through a long
    backlog keeps the `at` it started with: leases counted from `at` would have run out before the claims were made,
    and another dispatcher could claim and send the same messages while the first still sends them."""
    size = chunk_size or settings.LIFECRM_OUTBOX_CHUNK
    quiet = quiet_jurisdictions(at) if leave_quiet else ()
    total, claimed_count = Dispatched(), 0
    while limit is None or claimed_count < limit:
        claimed = _claim(at, size if limit is None else min(size, limit - claimed_count), ids, quiet=quiet,
                         lease_from=clock() if clock else None)
        if not claimed:
            break
        claimed_count += len(claimed)
        total += _dispatch_chunk(claimed, at)
    return total
