"""Status reports (pain.002) on our credit transfers (pain.001): matched to the file they answer, then handed, line
by line, to the app whose file it was.

Banking imports no app: an app that sends credit transfers registers a listener for its message-id prefix
(`register_transfer_status_listener("LCCL")`: claims' payouts). `transfer_statuses_apply(as_of=)` is the `apply`
of `services.bank_file_receive`, so a report is taken once by its content hash (the same file again changes
nothing), validated against its XSD, and applied whole or not at all: a listener raises `BankFileRejected` for a
line that does not fit its rows. Authorization is the calling app's.

Our credit transfers go out in a pain.001 file per currency (`transfers_send`: the file's side of it, the same for
every app). A rejected transfer goes out again to the payee's new account (`transfer_reissue`: the row's side of it;
each app's service checks its actor, sends the row in a new pain.001 and writes its own history).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import TypeVar

from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from lifecrm.banking import rules, xsd
from lifecrm.banking.creditors import creditor_for
from lifecrm.banking.errors import BankFileRejected
from lifecrm.banking.formats import PAID, PENDING, ParsedResults, pain001
from lifecrm.banking.models import BankFile, CreditTransfer
from lifecrm.banking.selectors import sent_file

Transfer = TypeVar("Transfer", bound=CreditTransfer)


@dataclass(frozen=True, slots=True)
class TransferStatus:
    """The bank's answer on one credit transfer, or (no `end_to_end_id`) on every transfer of the original file."""

    where: str
    end_to_end_id: str
    outcome: str  # formats.PAID (accepted) | REJECTED | PENDING
    reason_code: str = ""
    amount: Decimal | None = None
    currency: str | None = None


TransferListener = Callable[..., object]
"""`listener(original=BankFile, report=BankFile, statuses=list[TransferStatus], as_of=date, actor=…)` → what it
did (the actor the importing service authorized, for the listener's audit trail)."""

_listeners: dict[str, TransferListener] = {}


def register_transfer_status_listener(prefix: str):
    """Register the listener of the status reports on credit-transfer files whose message id starts `prefix`."""
    def decorator(func: TransferListener) -> TransferListener:
        if _listeners.get(prefix, func) is not func:
            raise ValueError(f"a transfer status listener for {prefix!r} is registered already")
        _listeners[prefix] = func
        return func

    return decorator


def transfer_status_listeners() -> dict[str, TransferListener]:
    return dict(_listeners)


def statuses_of(parsed: ParsedResults) -> list[TransferStatus]:
    """A pain.002's answers: one per transaction, and one per verdict on a whole message or block."""
    return ([TransferStatus(line.where, line.end_to_end_id, line.outcome, line.reason_code, line.amount,
                            line.currency) for line in parsed.lines]
            + [TransferStatus(group.where, "", group.outcome, group.reason_code) for group in parsed.groups])


def transfer_statuses_apply(*, as_of: date, actor) -> Callable[[BankFile, ParsedResults], object]:
    """The `apply` of a status report on one of our pain.001 files: finds the original file by the report's
    original message id and gives its statuses to the listener of the file's prefix."""
    def apply(report: BankFile, parsed: ParsedResults):
        if parsed.format != BankFile.Format.PAIN_002:
            raise BankFileRejected("", N_("this is not a payment status report (pain.002)"))
        original = sent_file(parsed.original_message_id)
        if original is None or original.format != BankFile.Format.PAIN_001:
            raise BankFileRejected("", N_("unknown original message %(message)s"),
                                   message=parsed.original_message_id)
        listener = next((f for prefix, f in _listeners.items() if original.message_id.startswith(prefix)), None)
        if listener is None:
            raise BankFileRejected("", N_("no app takes the status reports of %(message)s"),
                                   message=original.message_id)
        return listener(original=original, report=report, statuses=statuses_of(parsed), as_of=as_of, actor=actor)

    return apply


@dataclass
class TransferResults:
    """What a status report did to an app's payments, counted: what its listener returns (an app's subclass adds
    the rows of its own it touched: servicing's requests, claims' claims)."""

    accepted: int = 0
    rejected: int = 0
    pending: int = 0
    unchanged: int = 0


@dataclass
class Answered(TransferResults):
    """What a status report did to an app's payments (`answers_apply`): the counts, and the rows it changed."""

    changed: list = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The counts, as keywords of a `TransferResults`."""
        return {f.name: getattr(self, f.name) for f in fields(TransferResults)}


def answers_apply(statuses: list[TransferStatus], payments: dict[str, object], *, report: BankFile, as_of: date,
                  states) -> Answered:
    """The bank's answers on an app's payments of one file (`payments`: by end-to-end id, rows with `end_to_end_id`,
    `amount`, `currency`, `status`, `result_file`, `result_on`, `reason_code`; `states`: their status choices with
    SENT, ACCEPTED and REJECTED), the same for every app: a verdict without a reference answers every payment; an
    unknown reference, another amount or currency, or an answer contradicting an earlier one refuses the file
    (BankFileRejected). The rows changed are set, not saved: the app saves them and writes its own history."""
    done = Answered()
    for status in statuses:
        targets = [payments.get(status.end_to_end_id)] if status.end_to_end_id else list(payments.values())
        if targets == [None]:
            raise BankFileRejected(status.where, N_("unknown end-to-end reference %(reference)s"),
                                   reference=status.end_to_end_id)
        for payment in targets:
            _check(status, payment)
            wanted = {PAID: states.ACCEPTED, PENDING: None}.get(status.outcome, states.REJECTED)
            if wanted is None:
                done.pending += 1
            elif payment.status == wanted:
                done.unchanged += 1
            elif payment.status != states.SENT:
                raise BankFileRejected(status.where, N_("%(reference)s was %(status)s by an earlier report"),
                                       reference=payment.end_to_end_id, status=payment.status)
            else:
                payment.status, payment.result_file, payment.result_on = wanted, report, as_of
                payment.reason_code = status.reason_code if wanted == states.REJECTED else ""
                done.changed.append(payment)
                if wanted == states.ACCEPTED:
                    done.accepted += 1
                else:
                    done.rejected += 1
    return done


def _check(status: TransferStatus, payment) -> None:
    if status.currency and status.currency != payment.currency:
        raise BankFileRejected(status.where, N_("%(reference)s: currency %(currency)s is not the payout's %(expected)s"),
                               reference=payment.end_to_end_id, currency=status.currency, expected=payment.currency)
    if status.amount is not None and status.amount != payment.amount:
        raise BankFileRejected(status.where, N_("%(reference)s: amount %(amount)s is not the payout's %(expected)s"),
                               reference=payment.end_to_end_id, amount=status.amount, expected=payment.amount)


def transfer_reissue(transfer: CreditTransfer, *, bank_name: str, bank_code: str, account_number: str
                     ) -> dict[str, str]:
    """Point a credit transfer the bank rejected at the payee's new account (the app checked the account): a new
    end-to-end id `<first id>-R<n>`, to pay again (no file, not sent), saved; the bank's answer on the rejected
    attempt is cleared (it stays in what this returns, for the app's history). Returns the rejected attempt (reference, account's last four digits,
    reason, file) for the app's history and audit trail; the app sends the row."""
    states = type(transfer).Status
    if transfer.status != states.REJECTED:
        raise ValueError(f"{transfer.end_to_end_id} was not rejected: it does not go out again")
    before = {"reference": transfer.end_to_end_id, "account": transfer.account_last4,
              "reason": transfer.reason_code, "file": transfer.bank_file.message_id}
    first = transfer.end_to_end_id.rsplit("-R", 1)[0] if transfer.reissues else transfer.end_to_end_id
    transfer.reissues += 1
    transfer.end_to_end_id = f"{first}-R{transfer.reissues}"
    for name, value in CreditTransfer.account_fields(bank_name=bank_name, bank_code=bank_code,
                                                     account_number=account_number).items():
        setattr(transfer, name, value)
    transfer.status, transfer.bank_file, transfer.sent_on = states.PENDING, None, None
    transfer.result_file, transfer.result_on, transfer.reason_code = None, None, ""
    transfer.save()
    return before


def transfers_send(rows: Sequence[Transfer], *, prefix: str, as_of: date, jurisdiction: Callable[[Transfer], str],
                   remittance: Callable[[Transfer], str]) -> list[tuple[BankFile, list[Transfer]]]:
    """Write an app's credit transfers `rows` (locked by the caller, of one CreditTransfer model, PENDING) in a
    pain.001 file per currency (message id `prefix`, the day, the currency and the file's part number of the day:
    `rules.message_id`), paid by the company's account in that currency (`creditor_for`), recorded through banking
    (XSD-checked, hashed, encrypted), and mark each row sent with its file (each once: a row no longer PENDING is
    left as it is). `jurisdiction(row)` and `remittance(row)` give a line's jurisdiction and remittance text.
    Returns each file made with its rows, by currency; the app writes its own history."""
    from lifecrm.banking.services import bank_file_record  # (services imports this module)

    sent = []
    for currency in sorted({row.currency for row in rows}):
        group = [row for row in rows if row.currency == currency]
        debtor = creditor_for(currency)
        day_prefix = rules.message_id(prefix, as_of, currency)
        part = 1 + BankFile.objects.filter(format=BankFile.Format.PAIN_001, message_id__startswith=day_prefix).count()
        message = rules.message_id(prefix, as_of, currency, part)
        lines = [pain001.CreditLine(
            end_to_end_id=row.end_to_end_id, amount=row.amount, currency=currency, execution_date=as_of,
            creditor_name=row.payee_name, creditor_account=row.account_number, creditor_bank_code=row.bank_code,
            jurisdiction=jurisdiction(row), remittance=remittance(row)) for row in group]
        content = pain001.build(message_id=message, created_at=timezone.now(), debtor=debtor, lines=lines)
        made = bank_file_record(file_format=BankFile.Format.PAIN_001, namespace=xsd.PAIN_001, content=content,
                                message_id=message, as_of=as_of, line_count=len(lines),
                                total_amount=sum((row.amount for row in group), Decimal(0)))
        model = type(group[0])
        model._default_manager.filter(pk__in=[row.pk for row in group], status=model.Status.PENDING).update(
            status=model.Status.SENT, bank_file=made, sent_on=as_of)
        sent.append((made, group))
    return sent
