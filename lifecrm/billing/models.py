"""Renewal collection tables: due items, the append-only premium ledger (payments, allocations), reminders."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DueItem(models.Model):
    """One amount a policy owes: a premium instalment (raised by the daily batch before it falls due) or
    the interest on arrears charged at reinstatement."""

    class Kind(models.TextChoices):
        PREMIUM = "premium", _("premium")
        INTEREST = "interest", _("interest on arrears")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="due_items")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PREMIUM)
    # The premium's instalment number (0 = first premium); for interest, the reinstatement application id.
    instalment = models.PositiveIntegerField(_("instalment"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("premium due"), max_digits=12, decimal_places=2)
    paid_amount = models.DecimalField(_("paid"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    grace_end = models.DateField(_("end of grace period"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    raised_on = models.DateField(_("raised on"))

    class Meta:
        verbose_name = _("due premium")
        verbose_name_plural = _("due premiums")
        ordering = ["policy", "due_date", "kind", "instalment"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "kind", "instalment"], name="uniq_due_item"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="due_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="due_status_date_idx")]

    def __str__(self) -> str:
        return f"{self.policy_id}#{self.instalment} {self.due_date} {self.amount}"

    @property
    def outstanding(self):
        return self.amount - self.paid_amount


class Payment(models.Model):
    """Money received for a policy (or its reversal: a negative row pointing at the original). Append-only."""

    class Method(models.TextChoices):
        CASH = "cash", _("cash")
        CARD = "card", _("card")
        CHEQUE = "cheque", _("cheque")
        BANK_TRANSFER = "bank_transfer", _("bank transfer")
        AUTO_DEBIT = "auto_debit", _("auto-debit")
        PORTAL = "portal", _("web portal")
        APL = "apl", _("automatic premium loan")

    receipt_no = models.CharField(_("receipt number"), max_length=24, unique=True)
    # What makes a payment the same payment wherever it comes from: a bank file line's end-to-end id,
    # a counter till's slip number… Booking it twice is refused by this constraint.
    natural_key = models.CharField(_("source reference"), max_length=120, unique=True)
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    received_on = models.DateField(_("received on"))
    booked_at = models.DateTimeField(_("booked at"))
    booked_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["policy", "received_on", "id"]
        indexes = [models.Index(fields=["policy", "received_on"], name="payment_policy_idx")]

    def __str__(self) -> str:
        return f"{self.receipt_no} {self.amount}"


class Allocation(models.Model):
    """Part of a payment applied to a due item (negative when a reversal takes it back). Append-only."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    due_item = models.ForeignKey(DueItem, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    booked_at = models.DateTimeField(_("booked at"))

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.due_item_id}: {self.amount}"


class ReinstatementApplication(models.Model):
    """An owner's application to revive a suspended policy (复效): health declaration, decision, arrears."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting decision")
        APPROVED = "approved", _("approved")
        DEEMED = "deemed", _("approved by the insurer's silence")
        DECLINED = "declined", _("declined")
        COMPLETED = "completed", _("reinstated")
        EXPIRED = "expired", _("expired with the window")

    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="reinstatements")
    received_on = models.DateField(_("received on"))
    health_declaration = models.TextField(_("health declaration"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=200, blank=True)
    reinstated_on = models.DateField(_("reinstated on"), null=True, blank=True)
    interest = models.DecimalField(_("interest on arrears"), max_digits=12, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("reinstatement application")
        verbose_name_plural = _("reinstatement applications")
        ordering = ["-received_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy"], condition=models.Q(status__in=["pending", "approved", "deemed"]),
                name="one_open_reinstatement_per_policy",
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.received_on} {self.status}"
