"""The bank's status reports (pain.002) on claims' payout files (pain.001, message ids `LCCL…`): each payout
accepted, or rejected with its reason and back to "needs a new account" (`services.payout_reissue` sends it again).
Registered with banking (`banking.transfers`), which finds the file a report answers; the report is taken once by
its content hash and applied whole or not at all."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from lifecrm.banking.errors import BankFileRejected
from lifecrm.banking.formats import PAID, PENDING
from lifecrm.banking.models import BankFile
from lifecrm.banking.transfers import TransferStatus, register_transfer_status_listener
from lifecrm.claims.models import ClaimEvent, Payout
from lifecrm.core.actors import audit_user
from lifecrm.core.services import audit_record

PAYOUT_PREFIX = "LCCL"
"""The message-id prefix of claims' pain.001 payout files (`banking.rules.message_id`)."""


@dataclass
class PayoutResults:
    accepted: int = 0
    rejected: int = 0
    pending: int = 0
    unchanged: int = 0
    claims: set[int] = field(default_factory=set)


def _check(status: TransferStatus, payout: Payout) -> None:
    if status.currency and status.currency != payout.currency:
        raise BankFileRejected(status.where, N_("%(reference)s: currency %(currency)s is not the payout's %(expected)s"),
                               reference=payout.end_to_end_id, currency=status.currency, expected=payout.currency)
    if status.amount is not None and status.amount != payout.amount:
        raise BankFileRejected(status.where, N_("%(reference)s: amount %(amount)s is not the payout's %(expected)s"),
                               reference=payout.end_to_end_id, amount=status.amount, expected=payout.amount)


@register_transfer_status_listener(PAYOUT_PREFIX)
def payout_statuses_apply(*, original: BankFile, report: BankFile, statuses: list[TransferStatus], as_of: date,
                          actor) -> PayoutResults:
    """Apply a status report to the payouts of `original`: a verdict without a reference to every one of them; an
    unknown reference, another amount or currency, or an answer contradicting an earlier one refuses the file."""
    payouts = {p.end_to_end_id: p for p in Payout.objects.select_for_update().filter(bank_file=original)
               .order_by("pk")}
    results = PayoutResults()
    changed: dict[int, list[Payout]] = defaultdict(list)
    for status in statuses:
        targets = [payouts.get(status.end_to_end_id)] if status.end_to_end_id else list(payouts.values())
        if targets == [None]:
            raise BankFileRejected(status.where, N_("unknown end-to-end reference %(reference)s"),
                                   reference=status.end_to_end_id)
        for payout in targets:
            _check(status, payout)
            wanted = {PAID: Payout.Status.ACCEPTED, PENDING: None}.get(status.outcome, Payout.Status.REJECTED)
            if wanted is None:
                results.pending += 1
            elif payout.status == wanted:
                results.unchanged += 1
            elif payout.status != Payout.Status.SENT:
                raise BankFileRejected(status.where, N_("%(reference)s was %(status)s by an earlier report"),
                                       reference=payout.end_to_end_id, status=payout.status)
            else:
                payout.status, payout.result_file, payout.result_on = wanted, report, as_of
                payout.reason_code = status.reason_code if wanted == Payout.Status.REJECTED else ""
                changed[payout.claim_id].append(payout)
                if wanted == Payout.Status.ACCEPTED:
                    results.accepted += 1
                else:
                    results.rejected += 1
    Payout.objects.bulk_update([p for rows in changed.values() for p in rows],
                               ["status", "result_file", "result_on", "reason_code"])
    for claim_id, rows in changed.items():
        last = ClaimEvent.objects.filter(claim_id=claim_id).aggregate(m=Max("seq"))["m"] or 0
        rejected = [{"payee": p.payee_name, "reference": p.end_to_end_id, "reason": p.reason_code}
                    for p in rows if p.status == Payout.Status.REJECTED]
        ClaimEvent.objects.create(claim_id=claim_id, seq=last + 1, kind="payout_results", at=timezone.now(),
                                  on=as_of, actor=audit_user(actor),
                                  data={"file": report.message_id, "accepted": len(rows) - len(rejected),
                                        "rejected": rejected})
        audit_record(actor=actor, action="update", object_type="claims.claim", object_id=claim_id,
                     after={"bank_results": report.message_id, "accepted": len(rows) - len(rejected),
                            "rejected": [r["reference"] for r in rejected]})
        results.claims.add(claim_id)
    return results
