"""Bank file tables: every file exchanged with a bank, by any app, recorded once by its content hash.

An app's own rows (billing's direct-debit `Collection`s, servicing's `Disbursement`s and claims' `Payout`s) point at
the file they went out in or came back in; this app knows formats, not what a line means to the app that made it.
`CreditTransfer` is the abstract part of an app's payment by pain.001: the payee's account and the bank's answer.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lifecrm.core.fields import EncryptedBinaryField, EncryptedTextField
from lifecrm.core.money import BALANCE_DIGITS


class BankFile(models.Model):
    """A file exchanged with a bank, recorded by its content hash: the same file twice is the same row."""

    class Direction(models.TextChoices):
        OUT = "out", _("sent to the bank")
        IN = "in", _("received from the bank")

    class Format(models.TextChoices):
        PAIN_008 = "pain.008", _("ISO 20022 pain.008 direct-debit collection")
        PAIN_001 = "pain.001", _("ISO 20022 pain.001 credit transfer")
        PAIN_002 = "pain.002", _("ISO 20022 pain.002 payment status report")
        CAMT_054 = "camt.054", _("ISO 20022 camt.054 debit/credit notification")
        CSV = "csv", _("bank CSV result file")

    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    sha256 = models.CharField(_("content hash"), max_length=64, unique=True)
    filename = models.CharField(_("file name"), max_length=200)
    message_id = models.CharField(_("message id"), max_length=35, blank=True)
    as_of = models.DateField(_("business date"))
    created_at = models.DateTimeField(_("recorded at"))
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    total_amount = models.DecimalField(_("total"), max_digits=BALANCE_DIGITS + 2, decimal_places=2, default=0)
    # Encrypted at rest (Fernet, the field keys): a pain.008 holds every debtor's account number. Emptied once the
    # jurisdiction's `bank_file_retention` has run (`banking.retention`); the row, its hash and totals stay.
    content = EncryptedBinaryField(_("content"))
    content_purged_on = models.DateField(_("content purged on"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank file")
        verbose_name_plural = _("bank files")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.format} {self.filename}"


class CreditTransfer(models.Model):
    """What every app's payment by credit transfer (pain.001) holds beside its own columns: the payee, the account
    the money goes to, its end-to-end id, the file it went out in and the bank's answer (pain.002). Abstract: the
    columns are the app's table's (servicing's `Disbursement`, claims' `Payout`). A subclass defines `status` with
    `Status` choices holding at least PENDING, SENT, ACCEPTED and REJECTED (`transfers.answers_apply`,
    `transfers.transfer_reissue`)."""

    payee_name = models.CharField(_("payee"), max_length=120)
    currency = models.CharField(_("currency"), max_length=3)
    bank_name = models.CharField(_("bank"), max_length=60)
    bank_code = models.CharField(_("bank code"), max_length=20)
    account_number = EncryptedTextField(_("account number"))
    account_last4 = models.CharField(max_length=4, editable=False)
    end_to_end_id = models.CharField(max_length=35)
    bank_file = models.ForeignKey(BankFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    # The bank's answer (pain.002): the report, its day, the ISO reason of a rejection; a rejected payment goes out
    # again (a new end-to-end id, `reissues` + 1) once the payee's new account is given (`transfers.transfer_reissue`).
    result_file = models.ForeignKey(BankFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    db_index=False)
    result_on = models.DateField(_("bank's answer on"), null=True, blank=True)
    reason_code = models.CharField(_("reason"), max_length=8, blank=True)
    reissues = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True

    @staticmethod
    def account_fields(*, bank_name: str, bank_code: str, account_number: str) -> dict[str, str]:
        """The columns of the payee's account (bank and code trimmed to their columns; the number as the app checked
        it, kept encrypted, its last four digits shown)."""
        return {"bank_name": bank_name.strip()[:60], "bank_code": bank_code.strip()[:20],
                "account_number": account_number, "account_last4": account_number[-4:]}
