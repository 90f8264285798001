"""What follows a rejected direct debit: present it again, or hand the premium over to the reminders ladder.

The hook: `REJECTION_HANDLERS` is a list of callables `handler(*, due_item, reason_code, as_of)` called,
in order, for every reject that will not be presented again (a non-retryable code such as AC04 or
MD01, or a retryable one on its last attempt). Another module registers itself at import time:

    from lifecrm.billing.debits.rejections import rejection_handler

    @rejection_handler
    def debit_rejected(*, due_item, reason_code, as_of): ...

(the module must be imported when the app loads, e.g. from `lifecrm/billing/jobs.py` or `apps.py`).
Handlers run inside the import's transaction: one that raises rejects the whole bank file.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from lifecrm.billing.debits import rules
from lifecrm.billing.models import Collection, DueItem
from lifecrm.core.selectors import working_calendar
from lifecrm.core.services import audit_record

RejectionHandler = Callable[..., None]
REJECTION_HANDLERS: list[RejectionHandler] = []


def rejection_handler(func: RejectionHandler) -> RejectionHandler:
    """Register `func(*, due_item, reason_code, as_of)` once (re-importing a module does not add it twice)."""
    if func not in REJECTION_HANDLERS:
        REJECTION_HANDLERS.append(func)
    return func


def on_debit_rejected(collection: Collection, as_of: date) -> rules.RejectDecision:
    """Decide and set going what a rejected collection leads to.

    Retryable (AM04…, fewer than MAX_ATTEMPTS): nothing is written here; the export on or after
    `decision.represent_on` presents the premium again as attempt n+1 (a Collection needs its export
    file, so the new attempt is created by that export). Otherwise every REJECTION_HANDLERS entry is
    called so the reminders ladder takes the premium over. The reason stays on the Collection.
    """
    if collection.status != Collection.Status.REJECTED:
        raise ValueError(f"collection {collection.end_to_end_id} is {collection.status}, not rejected")
    due_item = DueItem.objects.select_related("policy").get(pk=collection.due_item_id)
    decision = rules.after_reject(
        reason_code=collection.reason_code, attempt=collection.attempt,
        result_on=collection.result_on or as_of, calendar=working_calendar(due_item.policy.jurisdiction_id),
    )
    audit_record(actor=None, action="update", object_type="billing.collection", object_id=collection.pk,
                 after={"status": collection.status, "reason_code": collection.reason_code,
                        "represent_on": str(decision.represent_on or ""), "decision": decision.reason})
    if decision.escalate:
        for handler in list(REJECTION_HANDLERS):
            handler(due_item=due_item, reason_code=collection.reason_code, as_of=as_of)
    return decision
