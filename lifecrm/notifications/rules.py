"""The outbox's arithmetic: quiet hours, retries with exponential backoff, which sending errors are worth a retry.
Pure functions: no Django, no I/O."""
from __future__ import annotations

import re
import smtplib
from datetime import datetime, time, timedelta

QUIET_HOURS = re.compile(r"^(?:(?P<code>[A-Z]{2})=)?(?P<start>\d\d):(?P<sm>\d\d)-(?P<end>\d\d):(?P<em>\d\d)$")
EVERYWHERE = "*"


class PermanentFailure(Exception):
    """A gateway's refusal that no retry will change (an unknown number, a rejected recipient)."""


def parse_quiet_hours(text: str) -> dict[str, tuple[time, time]]:
    """`21:00-08:00` (everywhere) or `CN=21:00-08:00,HK=22:00-08:00` (per jurisdiction, an entry without a code
    for the rest); `off` or nothing: no quiet hours. Raises ValueError on anything else."""
    text = text.strip()
    if text.lower() in {"", "off"}:
        return {}
    hours: dict[str, tuple[time, time]] = {}
    for part in text.split(","):
        found = QUIET_HOURS.match(part.strip())
        if found is None:
            raise ValueError(f"quiet hours {part.strip()!r} are not CODE=HH:MM-HH:MM or HH:MM-HH:MM")
        start = time(int(found["start"]), int(found["sm"]))
        end = time(int(found["end"]), int(found["em"]))
        if start == end:
            raise ValueError(f"quiet hours {part.strip()!r} start and end at the same minute")
        hours[found["code"] or EVERYWHERE] = (start, end)
    return hours


def quiet_until(local: datetime, start: time, end: time) -> datetime | None:
    """The end of the quiet hours [start, end) that `local` (a datetime in the recipient's time zone) falls in,
    else None. The hours may span midnight (21:00-08:00): 20:59 is not quiet, 21:00 is, 07:59 is, 08:00 is not."""
    moment = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= moment < end
        ends_on = local.date()
    else:
        quiet = moment >= start or moment < end
        ends_on = local.date() + timedelta(days=1) if moment >= start else local.date()
    if not quiet:
        return None
    return datetime.combine(ends_on, end, tzinfo=local.tzinfo)


def retry_delay(attempts: int, *, base_seconds: int, cap_seconds: int) -> timedelta:
    """The wait before the next attempt after `attempts` failed ones: base, 2 × base, 4 × base … at most cap."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), cap_seconds))


def is_transient(exc: BaseException) -> bool:
    """Whether a retry may succeed: connection trouble and 4xx replies yes; 5xx replies, refused recipients and a
    gateway's PermanentFailure no."""
    if isinstance(exc, PermanentFailure):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, OSError | smtplib.SMTPException | TimeoutError)
