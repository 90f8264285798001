"""Bank file tables: every file exchanged with a bank, by any app, recorded once by its content hash.

An app's own rows (billing's direct-debit `Collection`s, later servicing's and claims' payouts) point at the
file they went out in or came back in; this app knows formats, not what a line means to the app that made it.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lifecrm.core.fields import EncryptedBinaryField
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
