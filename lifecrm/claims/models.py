"""Claims (理賠): the claim, the policies it touches, its documents and notices, findings, decision, payouts and
its append-only event log. Every write goes through `claims.services`."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lifecrm.banking.models import CreditTransfer
from lifecrm.core.money import AMOUNT_DIGITS
from lifecrm.org.rules import ScopeFields


class ClaimType(models.TextChoices):
    DEATH = "death", _("death")
    TPD = "tpd", _("total permanent disability")
    CRITICAL_ILLNESS = "critical_illness", _("critical illness")
    HOSPITALISATION = "hospitalisation", _("hospitalisation")
    MATURITY = "maturity", _("maturity or survival benefit")


class Cause(models.TextChoices):
    ILLNESS = "illness", _("illness")
    ACCIDENT = "accident", _("accident")
    SUICIDE = "suicide", _("suicide")
    NONE = "none", _("no cause (maturity or survival)")


class Channel(models.TextChoices):
    PHONE = "phone", _("phone (24 × 7 line)")
    COUNTER = "counter", _("counter")
    AGENT = "agent", _("agent")
    ONLINE = "online", _("online")
    POST = "post", _("post")


class Status(models.TextChoices):
    REPORTED = "reported", _("reported")
    DOCUMENTS_PENDING = "documents_pending", _("documents pending")
    ASSESSING = "assessing", _("assessing")
    AWAITING_APPROVAL = "awaiting_approval", _("awaiting approval")
    DECIDED = "decided", _("decided")
    PAID = "paid", _("paid out")
    CLOSED = "closed", _("closed")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Outcome(models.TextChoices):
    APPROVED = "approved", _("approved")
    PARTLY_APPROVED = "partly_approved", _("partly approved")
    DECLINED = "declined", _("declined")


MONEY = {"max_digits": AMOUNT_DIGITS + 2, "decimal_places": 2}


class Claim(models.Model):
    """One claim of one insured event, linked to every policy of the insured; its clocks are kept on the row
    (refreshed by every write) so that queues sort and filter by them."""

    number = models.CharField(_("claim number"), max_length=20)
    claim_type = models.CharField(_("claim type"), max_length=20, choices=ClaimType.choices)
    cause = models.CharField(_("cause"), max_length=10, choices=Cause.choices)
    insured = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="claims")
    claimant_name = models.CharField(_("claimant"), max_length=100)
    claimant_phone = models.CharField(_("claimant's phone"), max_length=20, blank=True)
    claimant_relation = models.CharField(_("relation to the insured"), max_length=40, blank=True)
    claimant_email = models.EmailField(_("claimant's e-mail"), blank=True)
    # where the claimant's letters go (blank: the insured's address on file)
    claimant_address = models.CharField(_("claimant's address"), max_length=200, blank=True)
    claimant_language = models.CharField(_("claimant's language"), max_length=8, choices=settings.LANGUAGES,
                                         blank=True)  # blank: the insured's preferred language
    event_date = models.DateField(_("event date"))
    description = models.TextField(_("what happened"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    reported_at = models.DateTimeField(_("reported at"))
    first_receipt = models.DateField(_("first receipt"))  # the business date the claim first reached us
    reported_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", db_index=False)
    handler = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="claims_handled")
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, db_index=False)
    currency = models.CharField(_("currency"), max_length=3)
    amount_claimed = models.DecimalField(_("amount claimed"), null=True, blank=True, **MONEY)
    small = models.BooleanField(_("small-claim fast track"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REPORTED)
    documents_complete_on = models.DateField(_("documents complete on"), null=True, blank=True)
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)
    # Facts the assessment reads (claims.services.claim_facts_record): the day the insurer learned the cause for
    # rescission (its right lapses 30 days later: Insurance Law Art. 16; TW: a month, Art. 64) and the insured's
    # true birth date when the age was misstated (Art. 32; each policy's premium at the true age on ClaimPolicy).
    learned_on = models.DateField(_("cause for rescission learned on"), null=True, blank=True)
    true_birth_date = models.DateField(_("true birth date"), null=True, blank=True)
    # The decision: proposed by the maker, effective once decided (by the maker below the threshold, else the checker).
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    approved_amount = models.DecimalField(_("amount approved"), null=True, blank=True, **MONEY)
    proposed_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", db_index=False)
    decided_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", db_index=False)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    # An advance of the amount that can be determined (Insurance Law Art. 25): its maker, until a checker approves.
    advance_proposed_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True,
                                            related_name="+", db_index=False)
    refusal_notice_on = models.DateField(_("refusal notice sent on"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # The clocks (claims.rules.clocks), refreshed by every write.
    decision_due = models.DateField(_("decision due"), null=True, blank=True)
    simple_decision_due = models.DateField(_("fast-track decision due"), null=True, blank=True)
    advance_payment_due = models.DateField(_("advance payment due"), null=True, blank=True)
    refusal_notice_due = models.DateField(_("refusal notice due"), null=True, blank=True)
    payment_due = models.DateField(_("payment due"), null=True, blank=True)
    clock_stopped = models.BooleanField(_("clock stopped for documents"), default=False)
    next_due = models.DateField(_("next deadline"), null=True, blank=True)
    # Scope: the insured's unit (a copy of its path) and servicing agent, like the service desk's cases.
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", db_index=False)
    branch_path = models.CharField(max_length=200, db_index=True, editable=False)
    agent = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)
    version = models.PositiveIntegerField(default=1)

    SCOPE_FIELDS = ScopeFields(path="branch_path", agent="agent_id")

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-reported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["number"], name="claim_number_uniq")]
        indexes = [
            models.Index(fields=["status", "next_due"], name="claim_status_due_idx"),
            models.Index(fields=["handler", "status"], name="claim_handler_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class ClaimPolicy(models.Model):
    """A policy of the insured that the claim touches, with what assessment found it owes."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="claim_policies")
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="+")
    covered = models.BooleanField(_("covered"), null=True)
    benefit = models.DecimalField(_("benefit"), null=True, blank=True, **MONEY)
    approved_amount = models.DecimalField(_("amount approved"), null=True, blank=True, **MONEY)
    true_annual_premium = models.DecimalField(_("annual premium at the true age"), null=True, blank=True, **MONEY)

    class Meta:
        verbose_name = _("policy of a claim")
        verbose_name_plural = _("policies of claims")
        ordering = ["claim", "policy"]
        constraints = [models.UniqueConstraint(fields=["claim", "policy"], name="claim_policy_uniq")]

    def __str__(self) -> str:
        return f"{self.claim_id}/{self.policy_id}"


class ClaimDocument(models.Model):
    """One document of the claim's checklist, and the day it reached us."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="documents")
    code = models.CharField(_("document"), max_length=32)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    requested_on = models.DateField(_("asked for on"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")
        ordering = ["claim", "id"]
        constraints = [models.UniqueConstraint(fields=["claim", "code"], name="claim_document_uniq")]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.code}"


class ClaimNotice(models.Model):
    """A notice to the claimant: the one missing-documents notice (Insurance Law Art. 22), the refusal notice
    with reasons (Art. 24) or the decision notice of an approval; the last two are letters (`letter`, the print
    file) with an SMS and e-mail. `reached_on` starts the time the claimant spends supplying documents."""

    class Kind(models.TextChoices):
        MISSING_DOCUMENTS = "missing_documents", _("missing-documents notice")
        REFUSAL = "refusal", _("refusal notice")
        DECISION = "decision", _("decision notice")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    sent_on = models.DateField(_("sent on"))
    reached_on = models.DateField(_("reached the claimant on"))
    documents = models.JSONField(_("documents"), default=list, blank=True)
    text = models.TextField(_("text"))
    outbox_key = models.CharField(max_length=80, blank=True)
    letter = models.ForeignKey("notifications.Letter", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", db_index=False)

    class Meta:
        verbose_name = _("claim notice")
        verbose_name_plural = _("claim notices")
        ordering = ["claim", "sent_on", "id"]
        constraints = [models.UniqueConstraint(fields=["claim", "kind"], name="claim_notice_once")]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.kind} {self.sent_on}"


class ClaimFinding(models.Model):
    """What assessment found on one policy of the claim (replaced by the next assessment)."""

    class Severity(models.TextChoices):
        BLOCKS = "blocks", _("blocks payment")
        ADJUSTS = "adjusts", _("adjusts the benefit")
        REVIEW = "review", _("for review")
        INFO = "info", _("information")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="findings")
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               db_index=False)
    code = models.CharField(_("finding"), max_length=32)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("claim finding")
        verbose_name_plural = _("claim findings")
        ordering = ["claim", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.code}"


class ClaimRenunciation(models.Model):
    """A beneficiary renounced (or lost) their right to this claim's benefit."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="renunciations")
    beneficiary = models.ForeignKey("policies.Beneficiary", on_delete=models.PROTECT, related_name="+",
                                    db_index=False)
    recorded_on = models.DateField(_("recorded on"))

    class Meta:
        verbose_name = _("renunciation")
        verbose_name_plural = _("renunciations")
        constraints = [models.UniqueConstraint(fields=["claim", "beneficiary"], name="claim_renunciation_uniq")]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.beneficiary_id}"


class Payout(CreditTransfer):
    """One payee's part of one policy's benefit, to their bank account: pending until it goes out in a pain.001
    file, which it does exactly once (`end_to_end_id` unique, `bank_file` set once). An advance (Insurance Law Art.
    25) is a payout too (`advance`), held for a checker at the approval threshold, and deducted from the final
    payout of the same payee and policy."""

    class Status(models.TextChoices):
        HELD = "held", _("waiting for the checker")
        PENDING = "pending", _("to pay")
        SENT = "sent", _("sent to the bank")
        ACCEPTED = "accepted", _("accepted by the bank")
        REJECTED = "rejected", _("rejected by the bank: needs a new account")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payouts")
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="+", db_index=False)
    beneficiary = models.ForeignKey("policies.Beneficiary", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", db_index=False)
    payee_key = models.CharField(_("payee"), max_length=40, blank=True)  # services.payee_key: who, not the name
    estate = models.BooleanField(_("the insured's estate"), default=False)
    share_numerator = models.PositiveIntegerField()
    share_denominator = models.PositiveIntegerField()
    amount = models.DecimalField(_("amount"), **MONEY)
    advance = models.BooleanField(_("advance payment"), default=False)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["claim", "policy", "id"]
        constraints = [
            models.UniqueConstraint(fields=["end_to_end_id"], name="payout_e2e_uniq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_positive"),
            models.CheckConstraint(condition=Q(status__in=["held", "pending"], bank_file__isnull=True)
                                   | Q(status__in=["sent", "accepted", "rejected"], bank_file__isnull=False),
                                   name="payout_sent_has_file"),
        ]
        indexes = [models.Index(fields=["status", "currency"], name="payout_status_idx")]

    def __str__(self) -> str:
        return f"{self.end_to_end_id} {self.amount}"

    @property
    def share(self):
        from fractions import Fraction

        return Fraction(self.share_numerator, self.share_denominator)


class ClaimEvent(models.Model):
    """The claim's append-only log: every step, who took it and when."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    kind = models.CharField(_("event"), max_length=32)
    at = models.DateTimeField(_("at"))
    on = models.DateField(_("business date"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", db_index=False)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("claim event")
        verbose_name_plural = _("claim events")
        ordering = ["claim", "seq"]
        constraints = [models.UniqueConstraint(fields=["claim", "seq"], name="claim_event_seq_uniq")]

    def __str__(self) -> str:
        return f"{self.claim_id}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("claim events are append-only")
        super().save(*args, **kwargs)
