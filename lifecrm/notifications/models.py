"""What the outbox keeps in the database: e-mails and SMS to deliver, letters' print files."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Letter(models.Model):
    """A letter's print file: the HTML an app composed, saved in the transaction that recorded the letter (billing:
    with its reminder, `billing.Reminder.letter`).

    It fixes what the letter says on the day it was recorded, whenever the print run (`lifecrm print-letters`, every
    letter recorded on a date, whichever app recorded it) makes the PDF `<key>.pdf` of it; a rolled-back and retried send leaves no print file behind, and the daily
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
        indexes = [models.Index(fields=["recorded_on"], name="letter_recorded_on_idx")]  # the print run's day

    def __str__(self) -> str:
        return self.key


class OutboxMessage(models.Model):
    """An e-mail or SMS as the sending app composed it, recorded in that app's transaction and delivered by the
    dispatcher (`lifecrm send-outbox`, the daily step `notifications.send_outbox`): a rolled-back business write
    sends nothing, and `key` (the idempotency key) makes a message recorded twice one message, sent once."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed, to be retried")
        GIVEN_UP = "given_up", _("given up")
        WITHDRAWN = "withdrawn", _("withdrawn before sending")

    key = models.CharField(_("idempotency key"), max_length=150)
    app = models.CharField(_("sending app"), max_length=40)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    # no FK: notifications sits below the apps whose customers it writes to and keeps its rows when one is erased
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, blank=True)
    address = models.CharField(_("recipient address"), max_length=254)
    language = models.CharField(_("language"), max_length=8)
    template = models.CharField(_("template"), max_length=120, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    claim = models.CharField(_("claimed by"), max_length=32, blank=True)  # the dispatcher sending it (a token)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)  # when a channel reported it
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        constraints = [models.UniqueConstraint(fields=["key"], name="outbox_message_key_uniq")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_message_due_idx"),
            models.Index(fields=["customer_id", "created_at"], name="outbox_message_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.key
