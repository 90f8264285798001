"""The service desk's pure rules: channels, case statuses and the transitions between them. No Django, no I/O."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import IntEnum, StrEnum


class Channel(StrEnum):
    CALL = "call"
    WEB = "web"
    PORTAL = "portal"
    AGENT_VISIT = "agent_visit"
    COUNTER = "counter"
    LETTER = "letter"
    SMS = "sms"
    EMAIL = "email"


class Direction(StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


class Priority(IntEnum):
    """Lower is more urgent (sorting by priority puts the urgent first)."""

    URGENT = 1
    HIGH = 2
    NORMAL = 3
    LOW = 4


class CaseStatus(StrEnum):
    NEW = "new"  # taken in, nobody has it yet
    OPEN = "open"  # a handler works on it
    WAITING = "waiting"  # waiting for the customer: the resolution clock pauses
    RESOLVED = "resolved"  # answered or decided; the customer may still come back (reopen)
    CLOSED = "closed"  # final
    CANCELLED = "cancelled"  # taken in by mistake or withdrawn; final


OPEN_STATUSES = frozenset({CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING})
FINAL_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.CANCELLED})

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.OPEN, CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CANCELLED}),
    CaseStatus.OPEN: frozenset({CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CANCELLED}),
    CaseStatus.WAITING: frozenset({CaseStatus.OPEN, CaseStatus.RESOLVED, CaseStatus.CANCELLED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
    CaseStatus.CANCELLED: frozenset(),
}


class CaseEventKind(StrEnum):
    """What a case's append-only log records; the SLA clocks are a function of this log (`service.sla`)."""

    OPENED = "opened"
    ASSIGNED = "assigned"
    RESPONDED = "responded"  # the first (or a later) answer to the customer
    NOTE = "note"  # an internal note: never shown to the customer
    WAITING = "waiting"  # waiting for the customer: pauses the resolution clock
    RESUMED = "resumed"
    PRIORITY_CHANGED = "priority_changed"
    EXTENDED = "extended"  # a deadline extended (with its approval, for a complaint)
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    ATTACHMENT = "attachment"


TIMELINE_CASE_EVENTS = frozenset({CaseEventKind.OPENED, CaseEventKind.RESOLVED, CaseEventKind.REOPENED,
                                  CaseEventKind.CLOSED, CaseEventKind.CANCELLED})
"""The events of a case's log that its customer's timeline shows: where the case stood for the customer (the
internal work between them stays in the case's own history)."""

STATUS_AFTER: dict[CaseEventKind, CaseStatus] = {
    CaseEventKind.WAITING: CaseStatus.WAITING,
    CaseEventKind.RESUMED: CaseStatus.OPEN,
    CaseEventKind.RESOLVED: CaseStatus.RESOLVED,
    CaseEventKind.REOPENED: CaseStatus.OPEN,
    CaseEventKind.CLOSED: CaseStatus.CLOSED,
    CaseEventKind.CANCELLED: CaseStatus.CANCELLED,
}
"""The status an event moves a case to (events not named here leave the status as it is, except that a NEW case
that is assigned or answered becomes OPEN)."""
ONLY_FROM: dict[CaseEventKind, CaseStatus] = {
    CaseEventKind.RESUMED: CaseStatus.WAITING,
    CaseEventKind.REOPENED: CaseStatus.RESOLVED,
}
"""Events that only follow one status (a case resumes after waiting, reopens after it was resolved)."""


OUTBOX_APP = "service"
"""The sending app's name on the service desk's outbox messages (surveys, care events, complaint notices, SLA alerts)."""


class TransitionRefused(ValueError):
    """A status change the machine does not allow (the message names both statuses)."""


def next_status(current: CaseStatus, kind: CaseEventKind) -> CaseStatus:
    """The status after an event of `kind`, or `TransitionRefused`."""
    if current in FINAL_STATUSES:
        raise TransitionRefused(f"the case is {current.value}: nothing more can happen to it")
    target = STATUS_AFTER.get(kind)
    if target is None:
        if current == CaseStatus.NEW and kind in (CaseEventKind.ASSIGNED, CaseEventKind.RESPONDED):
            return CaseStatus.OPEN
        return current
    if target == current or target not in TRANSITIONS[current] or ONLY_FROM.get(kind, current) != current:
        raise TransitionRefused(f"a {current.value} case cannot become {target.value}")
    return target


# routing

@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What routing reads of a new case: its type, category, language, the unit it is booked on (its path) and the
    customer's tier on the day it was opened."""

    case_type: str
    category: str
    language: str
    branch_path: str
    tier: str


@dataclass(frozen=True, slots=True)
class RuleFields:
    """A routing rule's conditions; a blank one matches anything (`branch_path`: the unit's whole subtree)."""

    case_type: str = ""
    category: str = ""
    language: str = ""
    branch_path: str = ""
    tier: str = ""


def rule_matches(rule: RuleFields, case: CaseFacts) -> bool:
    return ((not rule.case_type or rule.case_type == case.case_type)
            and (not rule.category or rule.category == case.category)
            and (not rule.language or rule.language == case.language)
            and (not rule.branch_path or case.branch_path.startswith(rule.branch_path))
            and (not rule.tier or rule.tier == case.tier))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A queue member who may take the case: their skills (empty: any), capacity and the effort of the open cases
    they carry now (`load`)."""

    staff_id: int
    capacity: int
    load: int
    languages: tuple[str, ...] = ()
    case_types: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def free(self) -> int:
        return self.capacity - self.load

    def can_take(self, case: CaseFacts) -> bool:
        return ((not self.languages or case.language in self.languages)
                and (not self.case_types or case.case_type in self.case_types)
                and (not self.categories or case.category in self.categories))


def pick_handler(candidates: list[Candidate], case: CaseFacts, *, effort: int,
                 never: int | None = None) -> int | None:
    """The member with the skills for the case and the most free capacity (capacity less the effort of their open
    cases, not their count) that still has room for its `effort`; ties go to the lighter load, then the lower id.
    `never` (the staff member a complaint names) is never picked. None: nobody is free, the case waits in the queue."""
    fits = [c for c in candidates if c.staff_id != never and c.can_take(case) and c.free >= effort]
    if not fits:
        return None
    return min(fits, key=lambda c: (-c.free, c.load, c.staff_id)).staff_id


# attachments

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    # content type: (the file's first bytes, the names it may end with)
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
}
_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def attachment_type(filename: str, head: bytes) -> str | None:
    """The attachment's content type, read from its first bytes and agreeing with its name's ending; None for any
    other file (what the browser claims is never trusted)."""
    lower = filename.lower()
    for content_type, (magic, endings) in ATTACHMENT_TYPES.items():
        if head.startswith(magic) and lower.endswith(endings):
            return content_type
    return None


def attachment_name(filename: str, *, limit: int = 120) -> str:
    """A file name safe to keep and to send back: no folders, no control or reserved characters, no leading dots,
    at most `limit` characters with its ending kept."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(_UNSAFE_IN_NAMES.sub("_", name).split()).lstrip(". ")
    stem, dot, ending = name.rpartition(".")
    if not dot:
        stem, ending = name, ""
    ending = ending[:10]
    stem = stem[: limit - len(ending) - 1] if ending else stem[:limit]
    stem = stem or "attachment"
    return f"{stem}.{ending}" if ending else stem

# surveys ------------------------------------------------------------------------------------------------------------
class SurveyKind(StrEnum):
    CSAT = "csat"  # "how satisfied were you" 1–5, after a case, a servicing request or a claim closes
    NPS = "nps"  # "how likely to recommend us" 0–10, periodic


SCORE_RANGE: dict[SurveyKind, tuple[int, int]] = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10)}

CSAT_SUBJECT_NAMES = {"service.case": "case", "servicing.request": "request", "claims.claim": "claim"}
"""How a CSAT names what closed, by the survey's subject kind: a service-desk case is a case (案件), a servicing
request a request (保全申請), a claim a claim (理賠案件). The message templates and the answer page word it."""


def csat_subject_name(subject_kind: str) -> str:
    """"case", "request" or "claim" for a CSAT's subject (a kind not listed: "case", the service desk's own)."""
    return CSAT_SUBJECT_NAMES.get(subject_kind, "case")
COMMENT_MAX_LENGTH = 1000
PROMOTER_FROM, DETRACTOR_UP_TO = 9, 6  # NPS: 9–10 promoters, 7–8 passives, 0–6 detractors


def score_valid(kind: SurveyKind, score: int) -> bool:
    low, high = SCORE_RANGE[SurveyKind(kind)]
    return low <= score <= high


def may_ask(*, last_asked_on: date | None, on: date, min_days: int) -> bool:
    """Whether a customer last asked on `last_asked_on` may be asked again on `on`: not within `min_days` days (asked
    on the 1st with 30 days: again from the 31st)."""
    return last_asked_on is None or (on - last_asked_on).days >= min_days


def next_ask_on(*, last_asked_on: date, min_days: int) -> date:
    return last_asked_on + timedelta(days=min_days)


def nps(*, promoters: int, detractors: int, answers: int) -> int | None:
    """Net Promoter Score: % promoters − % detractors, rounded to a whole number (−100…100); None without answers."""
    if answers <= 0:
        return None
    return round(100 * (promoters - detractors) / answers)


def percentage(part: int, whole: int) -> float | None:
    return None if whole <= 0 else round(100 * part / whole, 1)


def token_digest(token: str) -> str:
    """What is stored of a survey link's one-time token: its SHA-256 (the link itself is never kept)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()

# -- emergency -------------------------------------------------------------------------------------------------
EMERGENCY_TYPE = "emergency"  # its case type (data/case_types.json): the desk's alerts go out at any hour

class PartnerKind(StrEnum):
    """Who the emergency line sends for; an assistance benefit of a product names the same kinds."""

    AMBULANCE = "ambulance"
    HOSPITAL_REFERRAL = "hospital_referral"
    MEDICAL_ADVICE = "medical_advice"


class DispatchStage(StrEnum):
    """The times a partner dispatch logs, in the order they happen (each at or after the one before)."""

    REQUESTED = "requested"
    CONFIRMED = "confirmed"  # the partner accepted
    ARRIVED = "arrived"  # on the scene, the patient admitted, or the doctor on the line
    CLOSED = "closed"  # the partner's part is over


DISPATCH_ORDER = (DispatchStage.REQUESTED, DispatchStage.CONFIRMED, DispatchStage.ARRIVED, DispatchStage.CLOSED)
FIRST_FOLLOW_UP_AFTER = timedelta(hours=24)
"""An emergency case gets one follow-up when it is opened: check on the customer a day later."""


def dispatch_order_refusal(times: dict[DispatchStage, datetime | None]) -> tuple[DispatchStage, DispatchStage] | None:
    """The first pair of logged stages out of order (`(later, earlier)`: `later` is before `earlier`), or None.

    Stages not logged yet are skipped: an arrival may be logged without a confirmation."""
    logged = [(stage, times.get(stage)) for stage in DISPATCH_ORDER if times.get(stage) is not None]
    for (earlier, earlier_at), (later, later_at) in zip(logged, logged[1:], strict=False):
        if later_at < earlier_at:
            return later, earlier
    return None


def assistance_covered(benefits: dict[str, frozenset[str]], products: list[str]) -> frozenset[str]:
    """The assistance benefits (PartnerKind values) that any of `products` (product codes) carries."""
    return frozenset().union(*(benefits.get(code, frozenset()) for code in products))
