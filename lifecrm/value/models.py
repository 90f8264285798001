"""Assumption sets (versioned, per product) and the value of each in-force coverage at an as-of date."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssumptionSet(models.Model):
    """One version of a product's valuation assumptions, derived from its pricing basis (`value.assumptions`).

    A set is never changed once written: a changed basis loads as the next version, and each stored value
    names the version it was computed on. Rates by age, policy year or projection year are `AssumptionRate` rows.
    """

    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(_("version"))
    # SHA-256 of the set's fields and rates: an unchanged basis loads nothing new.
    checksum = models.CharField(_("checksum"), max_length=64)
    source = models.CharField(_("source"), max_length=200)
    created_at = models.DateTimeField(_("created at"))
    # Expenses per 1,000 of sum assured, as the pricing basis states them: once at issue, and every year.
    acquisition_expense = models.DecimalField(_("acquisition expense per 1,000"), max_digits=10, decimal_places=4)
    maintenance_expense = models.DecimalField(_("maintenance expense per 1,000 a year"), max_digits=10,
                                              decimal_places=4)
    expense_inflation = models.DecimalField(_("expense inflation a year"), max_digits=6, decimal_places=4)
    # The pension of an annuity is paid at each anniversary from this attained age (null: no pension).
    pension_from_age = models.PositiveSmallIntegerField(_("pension from age"), null=True, blank=True)

    class Meta:
        verbose_name = _("assumption set")
        verbose_name_plural = _("assumption sets")
        ordering = ["product", "-version"]
        constraints = [models.UniqueConstraint(fields=["product", "version"], name="uniq_assumption_set_version")]

    def __str__(self) -> str:
        return f"{self.product_id} v{self.version}"


class AssumptionRate(models.Model):
    """One annual rate of a set: by attained age (mortality, incidence, morbidity, per sex), by policy year
    (lapse, commission as a share of the premium) or by projection year (discount, an annual spot rate)."""

    class Table(models.TextChoices):
        MORTALITY = "mortality", _("mortality q by age")
        INCIDENCE = "incidence", _("critical illness incidence by age")
        MORBIDITY = "morbidity", _("hospital cash cost per unit of sum assured by age")
        LAPSE = "lapse", _("lapse rate by policy year")
        COMMISSION = "commission", _("commission rate by policy year")
        DISCOUNT = "discount", _("annual spot rate by projection year")

    assumption_set = models.ForeignKey(AssumptionSet, on_delete=models.CASCADE, related_name="rates")
    table = models.CharField(_("table"), max_length=12, choices=Table.choices)
    sex = models.CharField(_("sex"), max_length=1, blank=True)  # blank: the same for both sexes
    index = models.PositiveSmallIntegerField(_("age or year"))
    rate = models.FloatField(_("rate"))

    class Meta:
        verbose_name = _("assumption rate")
        verbose_name_plural = _("assumption rates")
        constraints = [models.UniqueConstraint(fields=["assumption_set", "table", "sex", "index"],
                                               name="uniq_assumption_rate")]

    def __str__(self) -> str:
        return f"{self.assumption_set_id} {self.table} {self.sex}{self.index}: {self.rate}"


class PolicyValue(models.Model):
    """The present values of one in-force coverage's future cash flows at `as_of`, on one assumption set.

    pvfp = reserve + pv_premiums − pv_claims − pv_expenses − pv_commissions: the present value of the future
    profits, which release the reserve held now (the discount curve being the rate the reserve earns).

    Written by the `value.policy_values` step; unique on (coverage, as_of, assumption set), so a rerun is a
    no-op. Amounts are in the policy's currency, rounded half-up to the cent when stored.
    """

    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="+", db_index=False)
    coverage = models.ForeignKey("policies.Coverage", on_delete=models.PROTECT, related_name="+", db_index=False)
    as_of = models.DateField(_("as of"))
    assumption_set = models.ForeignKey(AssumptionSet, on_delete=models.PROTECT, related_name="+")
    assumption_version = models.PositiveIntegerField(_("assumption set version"))
    currency = models.CharField(_("currency"), max_length=3)
    # The net premium reserve on the product's basis held at `as_of`: the PVFP counts its release.
    reserve = models.DecimalField(_("reserve"), max_digits=16, decimal_places=2)
    pv_premiums = models.DecimalField(_("PV of premiums"), max_digits=16, decimal_places=2)
    pv_claims = models.DecimalField(_("PV of claims"), max_digits=16, decimal_places=2)
    pv_expenses = models.DecimalField(_("PV of expenses"), max_digits=16, decimal_places=2)
    pv_commissions = models.DecimalField(_("PV of commissions"), max_digits=16, decimal_places=2)
    pvfp = models.DecimalField(_("PV of future profits"), max_digits=16, decimal_places=2)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("policy value")
        verbose_name_plural = _("policy values")
        constraints = [models.UniqueConstraint(fields=["coverage", "as_of", "assumption_set"],
                                               name="uniq_policy_value")]
        indexes = [models.Index(fields=["policy", "as_of"], name="policy_value_policy_idx"),
                   models.Index(fields=["as_of"], name="policy_value_asof_idx")]

    def __str__(self) -> str:
        return f"{self.coverage_id} {self.as_of}: {self.pvfp}"


class CustomerValue(models.Model):
    """What a customer is worth to the company at `as_of`, by component, with the reasons behind each.

    - current value: the PVFP of the in-force policies they own or pay for (each policy once);
    - historical value: the premiums paid to date and the margin earned on them (`rules.MARGIN_ON_PREMIUMS`);
    - potential value: the expected value of the cover they lack (`rules.potential_value`);
    - network value: a share of the value of the people they referred and of their household.
    `total_value` (current + margin earned + network; not the premiums, whose margin is counted, nor the
    potential, which is not yet theirs) is what the tier thresholds are compared with.

    Written by the `value.customer_values` step over the whole book (weekly) and, on the other days, by
`value.changed_customer_values` for the customers whose policies changed that day (`whole_book` False: the
dashboards read the whole book's latest day, the customer's own pages their latest row); unique on
(customer, as_of): a rerun rewrites the same row.
    `reasons`: {component: [a reason's code with its figures (`rules.reason`), put in words by value/reasons.py]}.
    """

    customer = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="+", db_index=False)
    as_of = models.DateField(_("as of"))
    jurisdiction = models.CharField(_("jurisdiction"), max_length=8)  # the customer's: whose thresholds apply
    currency = models.CharField(_("currency"), max_length=3)
    current_value = models.DecimalField(_("current value"), max_digits=16, decimal_places=2)
    premiums_paid = models.DecimalField(_("premiums paid to date"), max_digits=16, decimal_places=2)
    margin_earned = models.DecimalField(_("margin earned to date"), max_digits=16, decimal_places=2)
    potential_value = models.DecimalField(_("potential value"), max_digits=16, decimal_places=2)
    network_value = models.DecimalField(_("network value"), max_digits=16, decimal_places=2)
    total_value = models.DecimalField(_("value for the tier"), max_digits=16, decimal_places=2)
    reasons = models.JSONField(_("reasons"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"))
    whole_book = models.BooleanField(_("computed for the whole book"), default=True)

    class Meta:
        verbose_name = _("customer value")
        verbose_name_plural = _("customer values")
        constraints = [models.UniqueConstraint(fields=["customer", "as_of"], name="uniq_customer_value")]
        indexes = [models.Index(fields=["as_of", "customer"], name="customer_value_asof_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.as_of}: {self.total_value}"


class TierThresholds(models.Model):
    """The minimum value (`CustomerValue.total_value`) of each tier in a jurisdiction, as head office sets it.

    Versioned: a change is a new row (`services.tier_thresholds_apply`, audited), never an edit; the latest
    version is the one in force. Version 1 of each jurisdiction is loaded on migrate (`reference_data`)."""

    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, related_name="+",
                                     db_index=False)
    version = models.PositiveIntegerField(_("version"))
    currency = models.CharField(_("currency"), max_length=3)
    diamond = models.DecimalField(_("diamond from"), max_digits=16, decimal_places=2)
    gold = models.DecimalField(_("gold from"), max_digits=16, decimal_places=2)
    silver = models.DecimalField(_("silver from"), max_digits=16, decimal_places=2)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.CharField(_("set by"), max_length=100)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tier thresholds")
        verbose_name_plural = _("tier thresholds")
        ordering = ["jurisdiction", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "version"], name="uniq_tier_thresholds_version"),
            models.CheckConstraint(condition=models.Q(diamond__gt=models.F("gold"), gold__gt=models.F("silver"),
                                                      silver__gt=0), name="tier_thresholds_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id} v{self.version}: {self.diamond}/{self.gold}/{self.silver}"

    def as_dict(self) -> dict:
        return {"diamond": self.diamond, "gold": self.gold, "silver": self.silver}


class LapseModelVersion(models.Model):
    """One trained version of the lapse-risk model (value.lapse): its parameters as JSON with their SHA-256
    (no pickled code), the cut-offs it was trained and tested on, and its metrics against the rule baseline."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    as_of = models.DateField(_("trained as of"))
    trained_at = models.DateTimeField(_("trained at"))
    algorithm = models.CharField(_("algorithm"), max_length=40)
    train_cutoffs = models.JSONField(_("training cut-offs"))
    test_cutoff = models.DateField(_("test cut-off"))
    parameters = models.JSONField(_("parameters"))
    checksum = models.CharField(_("checksum"), max_length=64)
    metrics = models.JSONField(_("metrics"))

    class Meta:
        verbose_name = _("lapse model version")
        verbose_name_plural = _("lapse model versions")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"lapse model v{self.version} ({self.as_of})"


class LapseScore(models.Model):
    """A premium-paying policy's probability of lapsing in the next 90 days at `as_of`, by one model version,
    with the features that raised it most (`reasons`: feature, value, log-odds added). Unique on
    (policy, as_of, model): scoring a date again with the same model writes nothing new."""

    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="+", db_index=False)
    as_of = models.DateField(_("as of"))
    model = models.ForeignKey(LapseModelVersion, on_delete=models.PROTECT, related_name="scores")
    score = models.FloatField(_("lapse probability in 90 days"))
    reasons = models.JSONField(_("reasons"))

    class Meta:
        verbose_name = _("lapse score")
        verbose_name_plural = _("lapse scores")
        constraints = [models.UniqueConstraint(fields=["policy", "as_of", "model"], name="uniq_lapse_score")]
        indexes = [models.Index(fields=["as_of", "model", "-score"], name="lapse_score_rank_idx")]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.as_of}: {self.score:.3f}"
