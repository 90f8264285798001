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

from lifecrm.banking.models import BankFile
from lifecrm.banking.transfers import (
    TransferResults,
    TransferStatus,
    answers_apply,
    register_transfer_status_listener,
)
from lifecrm.claims.models import ClaimEvent, Payout
from lifecrm.core.actors import audit_user
from lifecrm.core.services import audit_record

PAYOUT_PREFIX = "LCCL"
"""The message-id prefix of claims' pain.001 payout files (`banking.rules.message_id`)."""


@dataclass
class PayoutResults(TransferResults):
    """The counts of `TransferResults`, and the claims answered."""

    claims: set[int] = field(default_factory=set)


@register_transfer_status_listener(PAYOUT_PREFIX)
def payout_statuses_apply(*, original: BankFile, report: BankFile, statuses: list[TransferStatus], as_of: date,
                          actor) -> PayoutResults:
    """Apply a status report to the payouts of `original`: a verdict without a reference to every one of them; an
    unknown reference, another amount or currency, or an answer contradicting an earlier one refuses the file."""
    payouts = {p.end_to_end_id: p for p in Payout.objects.select_for_update().filter(bank_file=original)
               .order_by("pk")}
    done = answers_apply(statuses, payouts, report=report, as_of=as_of, states=Payout.Status)
    Payout.objects.bulk_update(done.changed, ["status", "result_file", "result_on", "reason_code"])
    results = PayoutResults(**done.counts())
    changed: dict[int, list[Payout]] = defaultdict(list)
    for payout in done.changed:
        changed[payout.claim_id].append(payout)
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
