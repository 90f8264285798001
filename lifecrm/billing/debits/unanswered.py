"""Debits the bank has not answered: which they are, and closing them when the bank confirms it did not collect.

A debit is unanswered when it is still `sent` RESULT_EXPECTED_WORKING_DAYS working days after its
collection date (its jurisdiction's calendar). Until its result is imported it is neither paid nor
presented again. When the bank confirms that it did not collect them (a file lost on its side, a run it
never processed), management at head office records that confirmation for one of our files
(`org.rules.Action.DECLARE_NOT_COLLECTED`: a collection file holds the whole company's debits): its unanswered debits
become rejected with reason NOT_COLLECTED_REASON, dated the business date, and go through
`rejections.on_debit_rejected` like a reject in a result file (presented again after
REPRESENT_AFTER_WORKING_DAYS, or handed to the reminders on the last attempt). Should the bank's result
still arrive and say one was collected after all, the import books the money (`imports`): it pays the
premium, or waits in suspense to be refunded if a later presentation paid it too.
"""
from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from lifecrm.banking.models import BankFile
from lifecrm.banking.selectors import bank_file_get
from lifecrm.billing.debits import rules
from lifecrm.billing.debits.rejections import on_debit_rejected
from lifecrm.billing.models import Collection
from lifecrm.core.models import Jurisdiction
from lifecrm.core.selectors import working_calendar
from lifecrm.core.services import audit_record_many
from lifecrm.org.access import Action, authorize

NOT_COLLECTED_REASON = "MS03"
"""The reason recorded for debits the bank confirms it did not collect: MS03, reason not specified (bank side),
which rules.RETRYABLE_REASONS presents again."""
REFERENCE_MAX_LENGTH = 100


class NotCollectedRefused(ValueError):
    """The confirmation cannot be recorded; the message says why, in the staff member's language."""


def declared_not_collected(collection: Collection) -> bool:
    """Rejected on staff's record of the bank's confirmation, not by a result file: a result that still comes
    for it is applied (`imports`)."""
    return collection.status == Collection.Status.REJECTED and collection.result_file_id is None


def unanswered(*, as_of: date) -> QuerySet[Collection]:
    """Debits still `sent` past the day their result was due, whatever the file (one query when evaluated)."""
    overdue = Q(pk__in=[])
    for code in Jurisdiction.objects.values_list("code", flat=True):
        cutoff = rules.result_overdue_for(as_of=as_of, calendar=working_calendar(code))
        overdue |= Q(due_item__policy__jurisdiction_id=code, collection_date__lte=cutoff)
    return Collection.objects.filter(overdue, status=Collection.Status.SENT)


def collections_declare_not_collected(*, actor, export_file_id: int, reference: str, as_of: date) -> int:
    """Record the bank's confirmation that it did not collect the unanswered debits of one of our pain.008
    files; returns how many were closed. `reference` is the bank's (its ticket, letter or e-mail). One
    transaction, under the collections' locks: a result file imported meanwhile is applied first or after,
    never half. A staff member needs the grant (`AccessDenied` otherwise); a program is `core.actors.system`."""
    authorize(actor, Action.DECLARE_NOT_COLLECTED)
    reference = " ".join((reference or "").split())
    if not reference:
        raise NotCollectedRefused(_("Say where the bank confirmed it: its ticket, letter or e-mail reference."))
    if len(reference) > REFERENCE_MAX_LENGTH:
        raise NotCollectedRefused(_("The bank's reference is at most %(limit)s characters long.")
                                  % {"limit": REFERENCE_MAX_LENGTH})
    with transaction.atomic():
        export = bank_file_get(export_file_id)
        if export is None or export.direction != BankFile.Direction.OUT:
            raise NotCollectedRefused(_("Only the debits of one of our own collection files can be declared not collected."))
        collections = list(unanswered(as_of=as_of).filter(export_file=export)
                           .select_for_update(of=("self",)).order_by("pk"))
        if not collections:
            raise NotCollectedRefused(_("%(file)s has no debit past the day its result was due.") % {"file": export.filename})
        Collection.objects.filter(pk__in=[c.pk for c in collections]).update(
            status=Collection.Status.REJECTED, reason_code=NOT_COLLECTED_REASON, result_on=as_of)
        audit_record_many(actor=actor, action="update", object_type="billing.collection", entries=[
            (c.pk, {"status": c.status}, {"status": Collection.Status.REJECTED, "reason_code": NOT_COLLECTED_REASON,
                                          "bank_reference": reference, "export_file": export.filename})
            for c in collections])
        for collection in collections:
            collection.status, collection.reason_code, collection.result_on = (
                Collection.Status.REJECTED, NOT_COLLECTED_REASON, as_of)
            on_debit_rejected(collection, as_of)
    return len(collections)
