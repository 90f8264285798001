"""The bank's status reports (pain.002) on servicing's payments to owners (pain.001, message ids `LCSV…`): each
payment accepted, or rejected with its ISO reason ("needs a new account": `services.disbursement_reissue` sends it
again). Registered with banking (`banking.transfers`), which finds the file a report answers; the report comes in
through `banking.services.transfer_status_import` (head office), is taken once by its content hash and applied
whole or not at all."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Max
from django.utils import timezone

from lifecrm.banking.models import BankFile
from lifecrm.banking.transfers import (
    TransferResults,
    TransferStatus,
    answers_apply,
    register_transfer_status_listener,
)
from lifecrm.core.actors import audit_system_name, audit_user
from lifecrm.core.services import audit_record
from lifecrm.servicing.models import Disbursement, RequestEvent

PAYMENT_PREFIX = "LCSV"
"""The message-id prefix of servicing's pain.001 files (`banking.rules.message_id`; claims' are LCCL)."""


@dataclass
class PaymentResults(TransferResults):
    """The counts of `TransferResults`, and the servicing requests answered."""

    requests: set[int] = field(default_factory=set)


@register_transfer_status_listener(PAYMENT_PREFIX)
def payment_statuses_apply(*, original: BankFile, report: BankFile, statuses: list[TransferStatus], as_of: date,
                           actor) -> PaymentResults:
    """Apply a status report to the payments of `original`: a verdict without a reference to every one of them; an
    unknown reference, another amount or currency, or an answer contradicting an earlier one refuses the file.
    Each request answered gets a `payment_result` event (and the audit trail a row)."""
    payments = {d.end_to_end_id: d for d in Disbursement.objects.select_for_update().filter(bank_file=original)
                .order_by("pk")}
    done = answers_apply(statuses, payments, report=report, as_of=as_of, states=Disbursement.Status)
    changed = done.changed
    Disbursement.objects.bulk_update(changed, ["status", "result_file", "result_on", "reason_code"])
    results = PaymentResults(**done.counts())
    for payment in changed:
        data = {"file": report.message_id, "reference": payment.end_to_end_id, "status": payment.status,
                "reason": payment.reason_code}
        last = RequestEvent.objects.filter(request_id=payment.request_id).aggregate(m=Max("seq"))["m"] or 0
        RequestEvent.objects.create(request_id=payment.request_id, seq=last + 1, kind="payment_result", on=as_of,
                                    at=timezone.now(), actor=audit_user(actor),
                                    system_actor=audit_system_name(actor) or "", data=data)
        audit_record(actor=actor, action="update", object_type="servicing.disbursement", object_id=payment.pk,
                     after=data)
        results.requests.add(payment.request_id)
    return results
