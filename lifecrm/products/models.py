"""Products, premium-mode factors, premium rate tables and cash value tables (all data rows)."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Product(models.Model):
    class Kind(models.TextChoices):
        TERM = "term", _("term life")
        WHOLE_LIFE = "whole_life", _("whole life")
        ENDOWMENT = "endowment", _("endowment")
        ANNUITY = "annuity", _("annuity")
        CRITICAL_ILLNESS = "ci_rider", _("critical illness rider")
        HOSPITAL = "hospital_rider", _("hospital cash rider")
        WAIVER = "waiver_rider", _("waiver of premium rider")

    class GraceBasis(models.TextChoices):
        DUE_DATE = "due_date", _("counted from the due date")
        DEMAND = "demand", _("counted from the premium demand")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    is_rider = models.BooleanField(_("rider"), default=False)
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, default="CN")
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # Comma-separated premium modes offered: annual, semiannual, quarterly, monthly.
    premium_modes = models.CharField(_("premium modes"), max_length=60, default="annual,semiannual,quarterly,monthly")
    # Comma-separated policy terms in years; 0 means whole of life (to age 105).
    terms = models.CharField(_("policy terms (years)"), max_length=60)
    # Comma-separated premium-paying terms in years offered with a whole-of-life or long term.
    premium_terms = models.CharField(_("premium-paying terms (years)"), max_length=60, blank=True)
    min_issue_age = models.PositiveSmallIntegerField(_("minimum issue age"), default=0)
    max_issue_age = models.PositiveSmallIntegerField(_("maximum issue age"), default=60)
    min_sum_assured = models.DecimalField(_("minimum sum assured"), max_digits=14, decimal_places=2)
    max_sum_assured = models.DecimalField(_("maximum sum assured"), max_digits=14, decimal_places=2)
    loan_limit_pct = models.DecimalField(
        _("loan limit (percentage of cash value)"), max_digits=5, decimal_places=2, default=0
    )
    grace_basis = models.CharField(
        _("grace period basis"), max_length=10, choices=GraceBasis.choices, default=GraceBasis.DUE_DATE
    )
    mortality_basis = models.CharField(_("mortality basis"), max_length=100)
    interest_rate = models.DecimalField(_("pricing interest rate"), max_digits=6, decimal_places=4)
    basis_note = models.TextField(_("pricing basis"), blank=True)
    is_active = models.BooleanField(_("on sale"), default=True)
    # SHA-256 of this product's rows in the shipped CSV files when they were last loaded:
    # the loader skips a product whose files are unchanged (reference_data.load_product_tables).
    tables_checksum = models.CharField(_("tables checksum"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PremiumModeFactor(models.Model):
    """Modal premium = annual premium × factor (the factor carries the loading for paying more often)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="mode_factors")
    mode = models.CharField(_("premium mode"), max_length=12)
    payments_per_year = models.PositiveSmallIntegerField(_("payments per year"))
    factor = models.DecimalField(_("factor"), max_digits=6, decimal_places=4)

    class Meta:
        verbose_name = _("premium mode factor")
        verbose_name_plural = _("premium mode factors")
        constraints = [models.UniqueConstraint(fields=["product", "mode"], name="uniq_mode_factor")]

    def __str__(self) -> str:
        return f"{self.product_id} {self.mode} × {self.factor}"


class PremiumRate(models.Model):
    """Annual premium per 1,000 of sum assured, by sex, issue age, policy term and premium-paying term."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="premium_rates")
    sex = models.CharField(_("sex"), max_length=1)
    issue_age = models.PositiveSmallIntegerField(_("issue age"))
    term = models.PositiveSmallIntegerField(_("policy term"))
    premium_term = models.PositiveSmallIntegerField(_("premium-paying term"))
    rate = models.DecimalField(_("annual premium per 1,000"), max_digits=12, decimal_places=4)

    class Meta:
        verbose_name = _("premium rate")
        verbose_name_plural = _("premium rates")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "sex", "issue_age", "term", "premium_term"], name="uniq_premium_rate"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.sex}{self.issue_age} {self.term}/{self.premium_term}: {self.rate}"


class CashValue(models.Model):
    """Cash (surrender) value per 1,000 of sum assured at the end of each policy year."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="cash_values")
    sex = models.CharField(_("sex"), max_length=1)
    issue_age = models.PositiveSmallIntegerField(_("issue age"))
    term = models.PositiveSmallIntegerField(_("policy term"))
    premium_term = models.PositiveSmallIntegerField(_("premium-paying term"))
    policy_year = models.PositiveSmallIntegerField(_("policy year"))
    value = models.DecimalField(_("cash value per 1,000"), max_digits=12, decimal_places=4)

    class Meta:
        verbose_name = _("cash value")
        verbose_name_plural = _("cash values")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "sex", "issue_age", "term", "premium_term", "policy_year"],
                name="uniq_cash_value",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.sex}{self.issue_age} y{self.policy_year}: {self.value}"
