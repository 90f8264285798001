"""What the outbox keeps in the database: letters' print files."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Letter(models.Model):
    """A letter's print file: the HTML an app composed, saved in the transaction that recorded the letter (billing:
    with its reminder, `billing.Reminder.letter`).

    It fixes what the letter says on the day it was recorded, whenever the print run (`lifecrm print-letters`)
    makes the PDF `<key>.pdf` of it; a rolled-back and retried send leaves no print file behind, and the daily
    batch writes no file of its own. `key` is the message's key (as in its SMS spool and e-mail Message-ID):
    one print file per letter.
    """

    key = models.CharField(_("message key"), max_length=150)
    html = models.TextField(_("print file (HTML)"))
    recorded_on = models.DateField(_("recorded on"))

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        # a constraint, not unique=True: no LIKE index on PostgreSQL (keys are looked up whole)
        constraints = [models.UniqueConstraint(fields=["key"], name="letter_key_uniq")]

    def __str__(self) -> str:
        return self.key
