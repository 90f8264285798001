"""The outbox's daily step: whatever is due when the daily batch runs goes out (messages recorded by the steps
before it, retries). Between two batches `lifecrm send-outbox` (cron) or the Celery task
`lifecrm.notifications.send_outbox` (beat) deliver them at the minute.

The print run (`print_run`, `lifecrm print-letters`): not a daily step; every letter recorded on a date becomes
its PDF after the batch."""
from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone

from lifecrm.core.jobs import chunked_step, register_daily_step, run_step
from lifecrm.notifications import letters
from lifecrm.notifications.services import outbox_dispatch, sendable_messages

# The step that sends the outbox: every daily step that records messages registers with `before=(SEND_OUTBOX,)`,
# so that what it records goes out in the same batch (a step after it would leave its messages for the next one).
SEND_OUTBOX = "notifications.send_outbox"


def batch_moment(as_of: date) -> datetime:
    """The moment the batch for `as_of` sends at: now, or the end of `as_of` when the batch catches up on a past
    date (it sends nothing a later date would not yet have sent)."""
    return min(timezone.now(), timezone.make_aware(datetime.combine(as_of, time.max)))


def _due_ids(as_of: date):
    # not the messages that quiet hours would only defer (the customers' at 22:00, or all of them at the end of a
    # past date): they are neither claimed nor updated, and go with the first dispatch after the quiet hours
    return sendable_messages(batch_moment(as_of)).order_by("pk").values_list("pk", flat=True)


# Messages a chunk of the step covers (its checkpoint; the unit shared out among the workers).
SEND_OUTBOX_CHUNK = 1000


# Not atomic: a chunk is sent as `lifecrm send-outbox` sends, by `outbox_dispatch` outside the checkpoint's
# transaction: each LIFECRM_OUTBOX_CHUNK messages claimed (committed), sent, their outcomes recorded (committed). A
# crash re-sends at most the messages sent but not yet recorded, once their claim's lease has expired (at least once);
# in one transaction it would roll back the claims and outcomes of the whole chunk and re-send it all at once.
@chunked_step(SEND_OUTBOX, ids=_due_ids, chunk_size=SEND_OUTBOX_CHUNK, atomic=False)
def send_outbox(as_of: date, first_id: int, last_id: int) -> int:
    """E-mails and SMS of the outbox due when the batch runs (a customer's quiet hours keep theirs waiting)."""
    return outbox_dispatch(at=batch_moment(as_of), ids=(first_id, last_id), leave_quiet=True,
                           clock=timezone.now).sent


register_daily_step(send_outbox)


# -- the print run: not a daily step. PDF rendering (≈0.1 s a letter) runs after the daily batch (`lifecrm
# print-letters`) or during the day (`lifecrm care-send`), in-process or fanned out to Celery workers, 25 to a task.
@chunked_step("notifications.print_letters", ids=letters.letter_ids, chunk_size=25)
def print_letters(as_of: date, first_id: int, last_id: int) -> int:
    """Print the letters recorded on the business date, by any app: a PDF from each print file."""
    return letters.letters_print(as_of=as_of, first_id=first_id, last_id=last_id)


def print_run(as_of: date, *, progress: bool = True) -> int:
    """Print the letters recorded on `as_of`; how many the date's runs printed. Refused (MissingPrintFile, nothing
    printed) when an app recorded a letter of the date without its print file.

    A run per (date, last letter recorded): letters recorded after a run (a debit rejected later that day, a
    resumed chunk, a care card sent in the afternoon) make the next call print again; a printed one is kept."""
    letters.print_files_check(as_of)
    last = letters.letter_ids(as_of).order_by("-pk").values_list("pk", flat=True).first() or 0
    run = run_step(print_letters, as_of=as_of, params_key=f"up-to-{last}", progress=progress)
    return sum(run.chunks.values_list("rows", flat=True))
