"""Care events' arithmetic: when an occasion falls, which festivals a jurisdiction greets, when a message may go out.

Pure functions, no Django: each takes the day (`as_of`) or the moment (`at`) it is asked about.

- A yearly occasion (birthday, policy anniversary) falls on the same month and day; one of 29 February falls on 28
  February in a year without it (still in February, never in March).
- Festivals follow the Chinese lunisolar calendar (Lunar New Year, Dragon Boat, Mid-Autumn, Double Ninth: the
  `lunardate` package's public conversion, the same in CN, HK and TW) or a fixed day (Christmas); which ones a jurisdiction greets is
  data (`data/care_rules.json`).
- Messages to customers go out between SEND_FROM and SEND_UNTIL in the customer's jurisdiction's time zone:
  composed at night, one waits for the morning (`send_after`); found later than its window (a send run late
  at night), it waits for the next morning (`may_send`); found STALE_AFTER_DAYS after its day, it is not sent.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from lunardate import LunarDate

SEND_FROM, SEND_UNTIL = time(9, 0), time(20, 0)
STALE_AFTER_DAYS = 3


class Occasion(StrEnum):
    BIRTHDAY = "birthday"
    ANNIVERSARY = "anniversary"  # of a policy's issue date
    MATURITY = "maturity"  # coming: rule.offset_days before the maturity date
    COMPLAINT_FOLLOW_UP = "complaint_follow_up"  # rule.offset_days after a complaint case closed
    CLAIM_FOLLOW_UP = "claim_follow_up"  # rule.offset_days after a claim closed (claims register their source)
    FESTIVAL = "festival"


class CareAction(StrEnum):
    GREETING = "greeting"  # a message on the customer's preferred channel (SMS, e-mail or letter)
    CARD = "card"  # a letter (a printed card, PDF)
    SMS = "sms"
    EMAIL = "email"
    CALL = "call"  # a call task: the servicing agent's, else the call centre's
    VISIT = "visit"  # an agent visit task
    GIFT = "gift"  # a gift to hand over: a task for the agent


MESSAGE_ACTIONS = frozenset({CareAction.GREETING, CareAction.CARD, CareAction.SMS, CareAction.EMAIL})
TASK_ACTIONS = frozenset({CareAction.CALL, CareAction.VISIT, CareAction.GIFT})
# Occasions before or after a dated event: their rule's offset (days) moves the event to the day it is marked.
OFFSET_BEFORE = frozenset({Occasion.MATURITY})
OFFSET_AFTER = frozenset({Occasion.COMPLAINT_FOLLOW_UP, Occasion.CLAIM_FOLLOW_UP})

# (lunar month, day) of each festival of the Chinese lunisolar calendar (`lunardate`: its years 1900–2099)
LUNAR_FESTIVALS = {"lunar_new_year": (1, 1), "dragon_boat": (5, 5), "mid_autumn": (8, 15), "double_ninth": (9, 9)}
FIXED_FESTIVALS = {"christmas": (12, 25), "new_year": (1, 1)}
FESTIVALS = frozenset(LUNAR_FESTIVALS) | frozenset(FIXED_FESTIVALS)


def yearly_on(start: date, year: int) -> date:
    """The day a yearly occasion of `start` falls in `year`: 29 February falls on 28 February without a leap day."""
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def is_yearly_on(start: date | None, as_of: date, *, from_first_year: bool = True) -> bool:
    """Whether `as_of` is a yearly occasion of `start` (`from_first_year` False: not in `start`'s own year)."""
    if start is None or as_of.year < start.year + (0 if from_first_year else 1):
        return False
    return yearly_on(start, as_of.year) == as_of


def festival_date(code: str, year: int) -> date | None:
    """The day of festival `code` in `year` (None outside the lunar calendar's years)."""
    if code in FIXED_FESTIVALS:
        month, day = FIXED_FESTIVALS[code]
        return date(year, month, day)
    month, day = LUNAR_FESTIVALS[code]
    try:
        return LunarDate(year, month, day).to_solar_date()
    except ValueError:  # a year the lunar tables do not cover
        return None


def festivals_on(as_of: date, codes) -> list[str]:
    """The festivals of `codes` (a jurisdiction's) that fall on `as_of`."""
    return sorted(code for code in codes if festival_date(code, as_of.year) == as_of)


def event_date(occasion: Occasion, as_of: date, offset_days: int) -> date:
    """The day of the event (maturity, closure) whose care event is marked on `as_of` under a rule's offset."""
    if occasion in OFFSET_BEFORE:
        return as_of + timedelta(days=offset_days)
    if occasion in OFFSET_AFTER:
        return as_of - timedelta(days=offset_days)
    return as_of


def send_after(*, day: date, at: datetime, zone: str) -> datetime:
    """The first moment a message of `day`, composed at `at`, may go out: within the day's sending window in the
    time zone, else that window's start, else (composed after it closed) the next morning's."""
    tz = ZoneInfo(zone)
    opens = datetime.combine(day, SEND_FROM, tzinfo=tz)
    closes = datetime.combine(day, SEND_UNTIL, tzinfo=tz)
    if at < opens:
        return opens
    if at < closes:
        return at
    local = at.astimezone(tz)
    start = local.date() + timedelta(days=1) if local.timetz().replace(tzinfo=None) >= SEND_UNTIL else local.date()
    return datetime.combine(start, SEND_FROM, tzinfo=tz)


def in_window(at: datetime, zone: str) -> bool:
    """Whether `at` is inside the sending window of the time zone."""
    local = at.astimezone(ZoneInfo(zone)).time()
    return SEND_FROM <= local < SEND_UNTIL


def is_stale(*, day: date, at: datetime, zone: str) -> bool:
    """Whether a message of `day` found at `at` comes too late to be sent (STALE_AFTER_DAYS later)."""
    return at.astimezone(ZoneInfo(zone)).date() > day + timedelta(days=STALE_AFTER_DAYS)


def may_send(*, send_after_at: datetime, at: datetime, zone: str) -> bool:
    """Whether a planned message may go out at `at`: its time has come and it is not night where the customer lives."""
    return at >= send_after_at and in_window(at, zone)


def message_channel(action: CareAction, preferred: str) -> str:
    """The channel a message action asks for: its own, or (a greeting) the customer's preferred one ('preferred')."""
    return {CareAction.CARD: "letter", CareAction.SMS: "sms", CareAction.EMAIL: "email"}.get(action, "preferred")


def care_key(*, customer_number: str, occasion: str, day: date, reference: str, action: str) -> str:
    """The care event's natural key, also its message's key (outbox file, letter print file, e-mail Message-ID)."""
    return f"care-{customer_number}-{occasion}-{day:%Y%m%d}-{reference or '-'}-{action}"
