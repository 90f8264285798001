"""Renewal collection tables: due items, the append-only premium ledger (payments, allocations), reminders."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lifecrm.banking.models import BankFile
from lifecrm.core.fields import EncryptedTextField
from lifecrm.core.money import BALANCE_DIGITS


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

    # db_index=False: uniq_due_item (policy, kind, instalment) serves the policy's lookups
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="due_items", db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PREMIUM)
    # The premium's instalment number (0 = first premium); for interest, the reinstatement application id.
    instalment = models.PositiveIntegerField(_("instalment"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("premium due"), max_digits=12, decimal_places=2)
    paid_amount = models.DecimalField(_("paid"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    grace_end = models.DateField(_("end of grace period"), null=True, blank=True)
    # When the premium demand reached the owner (deemed arrival of the demand letter or message):
    # the start of a demand-based grace period (TW Art. 116, the CN demand option).
    demand_arrived = models.DateField(_("demand arrived"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    raised_on = models.DateField(_("raised on"))
    # The reminder ladder's bookmark (billing.reminders): the policy version it last looked at this premium
    # under (None: never, or its grace end changed since) and the next date a step of it falls due.
    # The daily step looks only at premiums whose bookmark is due or stale.
    ladder_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    ladder_next_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("due premium")
        verbose_name_plural = _("due premiums")
        ordering = ["policy", "due_date", "kind", "instalment"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "kind", "instalment"], name="uniq_due_item"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="due_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"], name="due_status_date_idx"),
            # The daily steps read open premiums by policy ranges (grace, suspension, the reminder ladder):
            # only open rows, a small part of the table, in policy order.
            models.Index(fields=["policy", "due_date"], condition=models.Q(status="open"), name="due_open_policy_idx"),
            # The reconciliation's incremental days read the due items raised since the last one.
            models.Index(fields=["raised_on"], name="due_raised_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}#{self.instalment} {self.due_date} {self.amount}"

    @property
    def outstanding(self):
        return self.amount - self.paid_amount


class RaiseBookmark(models.Model):
    """The raise step's bookmark of one policy: the due date of the first premium not raised yet (None: the
    premium term has none left) and the policy version it was worked out under.

    `billing.raise_due_items` reads only the premium-paying policies with no bookmark, a bookmark of an older
    policy version (every transition and new contract version moves the version on: a changed premium mode,
    a reinstatement) or a bookmarked premium due by the horizon, instead of probing every policy every day.
    Payments only move the next premium later (prepaid instalments are skipped), so a bookmark stays on the
    safe side without being touched by them. Derived data: deleting bookmarks only makes the next day read more.
    """

    policy = models.OneToOneField("policies.Policy", on_delete=models.CASCADE, primary_key=True,
                                  related_name="raise_bookmark")
    policy_version = models.PositiveIntegerField()
    next_due_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_due_on"], name="raise_bookmark_next_idx")]

    def __str__(self) -> str:
        return f"{self.policy_id}@{self.policy_version}: {self.next_due_on}"


class LedgerOpening(models.Model):
    """The day the premium ledger opened: premiums due before it were taken over with each policy as a count
    (`Policy.paid_instalments`), without their due items and payments (the generated book keeps the last
    billing.generator.HISTORY_MONTHS). One row; a policy's billing section says from when its history is kept."""

    opened_on = models.DateField(_("premium records begin"))

    class Meta:
        verbose_name = _("opening of the premium ledger")
        verbose_name_plural = _("openings of the premium ledger")

    def __str__(self) -> str:
        return f"premium ledger opened on {self.opened_on}"


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
    # a counter till's slip number… Booking it twice is refused by payment_natural_key_uniq (a constraint
    # of Meta, not unique=: no LIKE index on PostgreSQL for a key only ever matched exactly).
    natural_key = models.CharField(_("source reference"), max_length=120)
    # db_index=False: payment_policy_idx (policy, received_on) serves the policy's lookups
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="payments", db_index=False)
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
        constraints = [models.UniqueConstraint(fields=["natural_key"], name="payment_natural_key_uniq")]
        indexes = [models.Index(fields=["policy", "received_on"], name="payment_policy_idx"),
                   # the reconciliation's incremental days: the payments booked since the last one
                   models.Index(fields=["booked_at"], name="payment_booked_idx")]

    def __str__(self) -> str:
        return f"{self.receipt_no} {self.amount}"


class ReceiptSerial(models.Model):
    """The last serial handed out in one receipt series on one day (receipt numbers <series><yyyymmdd><serial>,
    keyed by their prefix, e.g. R20261125): taken under a row lock, so concurrent bookings of a series get
    consecutive numbers instead of colliding. Each source of bookings has its own series (services.RECEIPT_SERIES),
    so a bank file's long transaction never makes a counter clerk wait for a number."""

    prefix = models.CharField(max_length=12, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("receipt serial")
        verbose_name_plural = _("receipt serials")

    def __str__(self) -> str:
        return f"{self.prefix} {self.last}"


class SuspenseAccount(models.Model):
    """A policy's money in suspense, kept by the booking services (services.suspense_sync): one row for each
    policy whose balance is not zero, none for the others, so the suspense work list reads a few rows
    instead of summing every payment and allocation of the book.

    Positive: money received and not applied to a premium (paid ahead, or collected after the policy
    stopped taking premiums: to refund). Negative: money paid back or applied that a reversal then took
    away (a bounced cheque, a debit the payer's bank claimed back after a refund): to recover from the payer.
    The truth stays `selectors.suspense_balance` (payments less allocations); this row is its copy.
    """

    policy = models.OneToOneField("policies.Policy", on_delete=models.PROTECT, primary_key=True,
                                  related_name="suspense_account")
    balance = models.DecimalField(_("suspense balance"), max_digits=BALANCE_DIGITS + 2, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    since = models.DateField(_("since"), help_text=_("the business date of the booking that set this balance"))

    class Meta:
        verbose_name = _("suspense account")
        verbose_name_plural = _("suspense accounts")
        ordering = ["since", "policy"]
        constraints = [models.CheckConstraint(condition=~models.Q(balance=0), name="suspense_not_zero")]
        indexes = [models.Index(fields=["since"], name="suspense_since_idx")]  # changed since a day

    def __str__(self) -> str:
        return f"{self.policy_id} {self.balance}"


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
        indexes = [models.Index(fields=["booked_at"], name="allocation_booked_idx")]  # booked since a moment

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


class DebitMandate(models.Model):
    """The payer's authority to collect a policy's premiums by direct debit from a bank account."""

    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="mandates")
    reference = models.CharField(_("mandate reference"), max_length=35)  # unique: Meta (see Payment.natural_key)
    debtor_name = models.CharField(_("account holder"), max_length=100)
    bank_name = models.CharField(_("bank"), max_length=100)
    bank_code = models.CharField(_("bank code"), max_length=20, help_text=_("CNAPS, HK bank code or BIC"))
    account_number = EncryptedTextField(_("account number"))
    account_last4 = models.CharField(max_length=4, editable=False)
    signed_on = models.DateField(_("signed on"))
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)

    class Meta:
        verbose_name = _("direct-debit mandate")
        verbose_name_plural = _("direct-debit mandates")
        ordering = ["policy", "-signed_on"]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="mandate_reference_uniq"),
            models.UniqueConstraint(
                fields=["policy"], condition=models.Q(cancelled_on__isnull=True), name="one_active_mandate_per_policy"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ****{self.account_last4}"


class Collection(models.Model):
    """One direct-debit instruction for one due item, and what the bank said of it."""

    class Status(models.TextChoices):
        SENT = "sent", _("sent to the bank")
        PAID = "paid", _("collected")
        REJECTED = "rejected", _("rejected by the bank")

    # db_index=False: uniq_collection_attempt (due item, attempt) serves the due item's lookups
    due_item = models.ForeignKey(DueItem, on_delete=models.PROTECT, related_name="collections", db_index=False)
    mandate = models.ForeignKey(DebitMandate, on_delete=models.PROTECT, related_name="collections")
    end_to_end_id = models.CharField(_("end-to-end reference"), max_length=35, unique=True)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    collection_date = models.DateField(_("requested collection date"))
    export_file = models.ForeignKey(BankFile, on_delete=models.PROTECT, related_name="collections")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SENT)
    result_file = models.ForeignKey(
        BankFile, on_delete=models.PROTECT, null=True, blank=True, related_name="results"
    )
    reason_code = models.CharField(_("reason code"), max_length=8, blank=True)
    result_on = models.DateField(_("result on"), null=True, blank=True)

    class Meta:
        verbose_name = _("direct-debit collection")
        verbose_name_plural = _("direct-debit collections")
        ordering = ["-collection_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["due_item", "attempt"], name="uniq_collection_attempt"),
        ]
        # the debits rejected on a day (the value engine's mid-week recompute)
        indexes = [models.Index(fields=["result_on"], condition=models.Q(status="rejected"),
                                name="collection_rejected_day_idx")]

    def __str__(self) -> str:
        return f"{self.end_to_end_id} {self.status}"


class DunningPlan(models.Model):
    """A reminder ladder (dunning plan) for one jurisdiction and customer tier: data HQ maintains."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT)
    tier = models.CharField(_("customer tier"), max_length=20, default="standard")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dunning plan")
        verbose_name_plural = _("dunning plans")
        ordering = ["jurisdiction", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "tier"], condition=models.Q(is_active=True), name="one_active_plan_per_tier"
            )
        ]

    def __str__(self) -> str:
        return self.name


class DunningStep(models.Model):
    """One rung of the ladder: on `offset_days` from its anchor, do `action` on `channel`."""

    class Anchor(models.TextChoices):
        DUE_DATE = "due_date", _("the due date")
        GRACE_END = "grace_end", _("the end of the grace period")
        SUSPENSION = "suspension", _("the suspension date")

    class Channel(models.TextChoices):
        PREFERRED = "preferred", _("the customer's preferred channel")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("e-mail")
        LETTER = "letter", _("letter")
        CALL_CENTRE = "call_centre", _("call-centre phone task")
        AGENT = "agent", _("sales agent phone task")

    class Action(models.TextChoices):
        REMINDER = "reminder", _("premium reminder")
        DEMAND = "demand", _("premium demand (starts a demand-based grace period)")
        GRACE_WARNING = "grace_warning", _("grace period ending")
        SUSPENSION_NOTICE = "suspension_notice", _("suspension notice")

    plan = models.ForeignKey(DunningPlan, on_delete=models.CASCADE, related_name="steps")
    code = models.SlugField(_("code"), max_length=40)
    anchor = models.CharField(_("counted from"), max_length=12, choices=Anchor.choices)
    offset_days = models.SmallIntegerField(_("days after (negative: before)"))
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)

    class Meta:
        verbose_name = _("dunning step")
        verbose_name_plural = _("dunning steps")
        ordering = ["plan", "anchor", "offset_days"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="uniq_dunning_step")]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.code}"


class Reminder(models.Model):
    """A ladder step carried out for one due item: at most once (unique), whatever the reruns."""

    class Status(models.TextChoices):
        SENT = "sent", _("sent")
        TASK_OPEN = "task_open", _("phone task open")
        DONE = "done", _("phone task done")
        SKIPPED = "skipped", _("skipped")
        FAILED = "failed", _("failed")

    # db_index=False: reminder_once_per_step (due item, step) serves the due item's lookups
    due_item = models.ForeignKey(DueItem, on_delete=models.PROTECT, related_name="reminders", db_index=False)
    step = models.ForeignKey(DunningStep, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=12)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    scheduled_for = models.DateField(_("scheduled for"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    recipient = models.CharField(_("recipient"), max_length=200, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    assigned_to = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="renewal_tasks"
    )
    outcome = models.CharField(_("call outcome"), max_length=20, blank=True)
    # A letter's print file (composed when the letter was recorded, printed by `lifecrm print-letters`).
    letter = models.OneToOneField("notifications.Letter", on_delete=models.SET_NULL, null=True, blank=True,
                                  editable=False, related_name="reminder")

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-scheduled_for", "id"]
        constraints = [models.UniqueConstraint(fields=["due_item", "step"], name="reminder_once_per_step")]
        indexes = [models.Index(fields=["status", "channel"], name="reminder_queue_idx")]

    def __str__(self) -> str:
        return f"{self.due_item_id} {self.step_id} {self.status}"


class LedgerDifference(models.Model):
    """A difference the daily reconciliation (billing.reconciliation) found in the premium ledger on `as_of`: a
    copy that no longer matches what it is kept from, or an amount beyond what it may be. Rewritten by each
    rerun of the day; shown on the head office's collection dashboard until a later day's reconciliation is clean."""

    class Check(models.TextChoices):
        SUSPENSE = "suspense", _("suspense account differs from its ledger")
        ALLOCATED = "allocated", _("paid amount differs from its allocations")
        OVER_DUE = "over_due", _("allocations exceed the amount due")
        STATUS = "status", _("status contradicts the paid amount")
        OVER_PAYMENT = "over_payment", _("payment applied beyond its amount")

    as_of = models.DateField(_("business date"))
    kind = models.CharField(_("check"), max_length=16, choices=Check.choices)
    policy = models.ForeignKey("policies.Policy", on_delete=models.CASCADE, related_name="+", db_index=False)
    object_id = models.BigIntegerField(_("row"))  # the due item, payment or policy (suspense) checked
    expected = models.DecimalField(_("expected"), max_digits=BALANCE_DIGITS + 2, decimal_places=2)
    found = models.DecimalField(_("found"), max_digits=BALANCE_DIGITS + 2, decimal_places=2)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ledger difference")
        verbose_name_plural = _("ledger differences")
        ordering = ["-as_of", "policy", "kind", "object_id"]
        constraints = [models.UniqueConstraint(fields=["as_of", "kind", "object_id"], name="uniq_ledger_difference")]
        indexes = [models.Index(fields=["as_of", "policy"], name="ledger_difference_day_idx")]

    def __str__(self) -> str:
        return f"{self.as_of} {self.kind} {self.object_id}: {self.expected} / {self.found}"


class RenewalPriority(models.Model):
    """The order in which renewal calls are worth making: a premium-paying policy's lapse risk (the probability
    that it stops being paid in the next 90 days) times its value (the PVFP of its coverages, or its annualised
    premium where no valuation was run), as the value app computed them at `as_of`.

    Written whole by `services.renewal_priorities_replace` (value's `train-lapse`); the work lists
    (`billing.worklists`) put the riskiest and most valuable policies first. Derived data: replaced with the book.
    """

    policy = models.OneToOneField("policies.Policy", on_delete=models.CASCADE, primary_key=True,
                                  related_name="renewal_priority")
    as_of = models.DateField(_("as of"))
    lapse_risk = models.FloatField(_("lapse probability in 90 days"))
    value = models.DecimalField(_("policy value"), max_digits=16, decimal_places=2)
    priority = models.FloatField(_("priority (risk × value)"))

    class Meta:
        verbose_name = _("renewal priority")
        verbose_name_plural = _("renewal priorities")
        indexes = [models.Index(fields=["-priority"], name="renewal_priority_idx")]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.as_of}: {self.priority:.2f}"
