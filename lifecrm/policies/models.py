"""Policies, their effective-dated contract versions, coverages, beneficiaries and event journal."""
from __future__ import annotations

from fractions import Fraction

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lifecrm.org.rules import ScopeFields
from lifecrm.policies import rules
from lifecrm.policies.rules import Status


class PremiumMode(models.TextChoices):
    ANNUAL = "annual", _("annual")
    SEMIANNUAL = "semiannual", _("semi-annual")
    QUARTERLY = "quarterly", _("quarterly")
    MONTHLY = "monthly", _("monthly")


class PaymentMethod(models.TextChoices):
    AUTO_DEBIT = "auto_debit", _("bank auto-debit")
    BANK_TRANSFER = "bank_transfer", _("bank transfer")
    CASH = "cash", _("cash at the counter")
    CARD = "card", _("card")


class Channel(models.TextChoices):
    AGENCY = "agency", _("agency")
    BANCASSURANCE = "bancassurance", _("bancassurance")
    TELEMARKETING = "telemarketing", _("telemarketing")
    ONLINE = "online", _("online")
    GROUP = "group", _("employer group")


STATUS_LABELS = {
    Status.PROPOSAL: _("proposal"),
    Status.IN_FORCE: _("in force"),
    Status.GRACE: _("in grace period"),
    Status.SUSPENDED: _("suspended"),
    Status.REINSTATED: _("reinstated"),
    Status.PAID_UP: _("paid-up"),
    Status.SURRENDERED: _("surrendered"),
    Status.LAPSED: _("lapsed"),
    Status.MATURED: _("matured"),
    Status.TERMINATED: _("claimed / terminated"),
    Status.COOLING_OFF_CANCELLED: _("cancelled in cooling-off"),
    Status.PREMIUM_WAIVED: _("premium waived"),
}
STATUS_CHOICES = [(s.value, STATUS_LABELS[s]) for s in Status]


class Policy(models.Model):
    """A contract's identity, status and the current roles (a cache of the latest version's roles).

    Contract data lives in PolicyVersion rows; status changes go through policies.services and
    each one appends a PolicyEvent. `version` is the optimistic lock.
    """

    number = models.CharField(_("policy number"), max_length=20)  # unique: Meta (no LIKE index, see Customer)
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="policies")
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, default="CN", db_index=False)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    owner = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="owned_policies")
    insured = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="insured_policies")
    payer = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="paid_policies")
    agent = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="policies", db_index=False
    )
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="policies")
    branch_path = models.CharField(max_length=200, db_index=True, editable=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    application_date = models.DateField(_("application date"))
    issue_date = models.DateField(_("issue date"))
    # the owner's receipt of the policy (the signed delivery receipt, 回執): the cooling-off period runs from it;
    # blank until recorded (`services.policy_delivery_record`), when the issue date stands for it
    delivered_on = models.DateField(_("delivered to the owner on"), null=True, blank=True)
    term_years = models.PositiveSmallIntegerField(_("term (years)"), null=True, blank=True)
    premium_term_years = models.PositiveSmallIntegerField(_("premium-paying term (years)"))
    maturity_date = models.DateField(_("maturity date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=24, choices=STATUS_CHOICES, default=Status.PROPOSAL)
    status_date = models.DateField(_("status since"))
    paid_instalments = models.PositiveIntegerField(_("premiums paid"), default=0)
    paid_to_date = models.DateField(_("paid to"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"))

    SCOPE_FIELDS = ScopeFields(path="branch_path", agent="agent_id")

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["number"], name="policy_number_uniq")]
        indexes = [
            models.Index(fields=["status", "paid_to_date"], name="policy_status_due_idx"),
            models.Index(fields=["agent", "status"], name="policy_agent_status_idx"),
            models.Index(fields=["issue_date"], name="policy_issue_idx"),
            # policies.mature: the few live policies at or past their maturity date
            models.Index(fields=["maturity_date"], condition=models.Q(status__in=rules.MATURING_STATUSES),
                         name="policy_maturing_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class PolicyVersion(models.Model):
    """The contract data as it stood from `effective_from` until `effective_to` (exclusive; open if null).

    Servicing appends a version and closes the previous one; nothing is overwritten.
    """

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions", db_index=False)
    version_no = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    reason = models.CharField(_("reason"), max_length=100)
    owner = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="+")
    insured = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="+")
    sum_assured = models.DecimalField(_("sum assured"), max_digits=14, decimal_places=2)
    premium_mode = models.CharField(_("premium mode"), max_length=12, choices=PremiumMode.choices)
    modal_premium = models.DecimalField(_("modal premium"), max_digits=12, decimal_places=2)
    annual_premium = models.DecimalField(_("annualised premium"), max_digits=12, decimal_places=2)
    payment_method = models.CharField(_("payment method"), max_length=16, choices=PaymentMethod.choices)
    apl_opt_in = models.BooleanField(_("automatic premium loan"), default=False)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["policy", "version_no"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "version_no"], name="uniq_policy_version"),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True) | models.Q(effective_to__gt=models.F("effective_from")),
                name="version_period_positive",
            ),
        ]
        indexes = [models.Index(fields=["policy", "effective_from"], name="policy_version_asof_idx")]

    def __str__(self) -> str:
        return f"{self.policy_id} v{self.version_no} from {self.effective_from}"


class Coverage(models.Model):
    """One benefit of a policy: the base coverage or a rider, with its own dates and premium."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="coverages")
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="+")
    is_base = models.BooleanField(_("base coverage"), default=True)
    sum_assured = models.DecimalField(_("sum assured"), max_digits=14, decimal_places=2)
    annual_premium = models.DecimalField(_("annual premium"), max_digits=12, decimal_places=2)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("coverage")
        verbose_name_plural = _("coverages")
        ordering = ["policy", "-is_base", "id"]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.product_id} {self.sum_assured}"


class Beneficiary(models.Model):
    """A death beneficiary of one policy version: paid by order, then by share within the order."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="beneficiaries")
    customer = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    relation_to_insured = models.CharField(_("relation to the insured"), max_length=20)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    # The share of the order's benefit, an exact fraction: three equal shares are 1/3 each, not 33.33 %.
    share_numerator = models.PositiveIntegerField(_("share numerator"))
    share_denominator = models.PositiveIntegerField(_("share denominator"))

    class Meta:
        verbose_name = _("beneficiary")
        verbose_name_plural = _("beneficiaries")
        ordering = ["version", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(share_numerator__gt=0) & models.Q(share_numerator__lte=models.F("share_denominator")),
                name="share_of_the_whole"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.order}/{self.share_text}"

    @property
    def share(self) -> Fraction:
        return Fraction(self.share_numerator, self.share_denominator)

    @property
    def share_text(self) -> str:
        """"60 %", "12.5 %" or "1/3"."""
        return rules.share_text(self.share)


class PolicyEvent(models.Model):
    """The append-only journal of a policy: every status transition and every contract event."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="events", db_index=False)
    seq = models.PositiveIntegerField(_("sequence"))
    kind = models.CharField(_("event"), max_length=32)
    from_status = models.CharField(_("from"), max_length=24, blank=True)
    to_status = models.CharField(_("to"), max_length=24, blank=True)
    effective_date = models.DateField(_("effective date"))
    recorded_at = models.DateTimeField(_("recorded at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    data = models.JSONField(_("data"), null=True, blank=True)

    class Meta:
        verbose_name = _("policy event")
        verbose_name_plural = _("policy events")
        ordering = ["policy", "seq"]
        constraints = [models.UniqueConstraint(fields=["policy", "seq"], name="uniq_policy_event_seq")]
        # what changed on a day (the value engine's mid-week recompute)
        indexes = [models.Index(fields=["effective_date"], name="policy_event_day_idx")]

    def __str__(self) -> str:
        return f"{self.policy_id}#{self.seq} {self.kind} {self.effective_date}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("policy events are append-only")
        super().save(*args, **kwargs)


class PolicyLoan(models.Model):
    """A loan on the policy's cash value (保单贷款), one ledger for every app: a policy loan granted by a servicing
    request or an automatic premium loan (自动垫交) made by billing at the end of an unpaid grace period.
    Simple yearly interest from `taken_on` on the principal still owed; repayments pay the interest accrued
    first, then principal (`policies.loans`). Settled (`settled_on`) when repaid in full or deducted from a
    surrender; written only through `policies.services` (each loan and repayment journaled on the policy)."""

    class Kind(models.TextChoices):
        POLICY_LOAN = "policy", _("policy loan")
        PREMIUM_LOAN = "apl", _("automatic premium loan")

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="loans")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.POLICY_LOAN)
    # What granted it: a servicing request's number, billing's APL booking key.
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    principal = models.DecimalField(_("principal"), max_digits=14, decimal_places=2)
    rate_percent = models.DecimalField(_("interest rate (% a year)"), max_digits=5, decimal_places=2)
    taken_on = models.DateField(_("taken on"))
    settled_on = models.DateField(_("settled on"), null=True, blank=True)

    class Meta:
        verbose_name = _("policy loan")
        verbose_name_plural = _("policy loans")
        ordering = ["policy", "taken_on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(principal__gt=0), name="loan_principal_positive")]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.kind} {self.principal} from {self.taken_on}"


class LoanRepayment(models.Model):
    """Money repaid on a policy loan, on a day (interest accrued first, then principal)."""

    loan = models.ForeignKey(PolicyLoan, on_delete=models.PROTECT, related_name="repayments")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("loan repayment")
        verbose_name_plural = _("loan repayments")
        ordering = ["loan", "paid_on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="loan_repayment_positive")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.amount} on {self.paid_on}"
