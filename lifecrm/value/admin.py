"""Admin for the value app: assumption sets, policy and customer values, tier thresholds, lapse models and
scores, read-only (derived data or versioned reference data, never edited by hand)."""
from django.contrib import admin

from lifecrm.core.admin import ReadOnlyAdmin
from lifecrm.value.models import (
    AssumptionRate,
    AssumptionSet,
    CustomerValue,
    LapseModelVersion,
    LapseScore,
    PolicyValue,
    TierThresholds,
)


class AssumptionRateInline(admin.TabularInline):
    model = AssumptionRate
    extra = 0
    fields = ["table", "sex", "index", "rate"]
    readonly_fields = fields
    can_delete = False
    ordering = ["table", "sex", "index"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AssumptionSet)
class AssumptionSetAdmin(ReadOnlyAdmin):
    """Change a set by changing the products' basis: `lifecrm value load-assumptions` loads the next version."""

    list_display = ["product", "version", "created_at", "acquisition_expense", "maintenance_expense",
                    "expense_inflation", "pension_from_age"]
    list_filter = ["product"]
    list_select_related = ["product"]
    inlines = [AssumptionRateInline]


@admin.register(PolicyValue)
class PolicyValueAdmin(ReadOnlyAdmin):
    list_display = ["policy", "coverage", "as_of", "assumption_version", "currency", "reserve", "pv_premiums",
                    "pv_claims", "pv_expenses", "pv_commissions", "pvfp"]
    list_filter = ["as_of", "currency"]
    list_select_related = ["policy", "coverage"]
    search_fields = ["policy__number"]
    raw_id_fields = ["policy", "coverage", "assumption_set"]
    list_per_page = 100


@admin.register(CustomerValue)
class CustomerValueAdmin(ReadOnlyAdmin):
    list_display = ["customer", "as_of", "currency", "current_value", "premiums_paid", "margin_earned",
                    "potential_value", "network_value", "total_value"]
    list_filter = ["as_of", "jurisdiction"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    list_per_page = 100


@admin.register(TierThresholds)
class TierThresholdsAdmin(ReadOnlyAdmin):
    """A new version is set with `value.services.tier_thresholds_apply` (after its preview), never edited here."""

    list_display = ["jurisdiction", "version", "currency", "diamond", "gold", "silver", "created_at", "created_by"]
    list_filter = ["jurisdiction"]


@admin.register(LapseModelVersion)
class LapseModelVersionAdmin(ReadOnlyAdmin):
    """A new version comes from `lifecrm value train-lapse`."""

    list_display = ["version", "as_of", "trained_at", "algorithm", "test_cutoff"]


@admin.register(LapseScore)
class LapseScoreAdmin(ReadOnlyAdmin):
    list_display = ["policy", "as_of", "model", "score"]
    list_filter = ["as_of"]
    list_select_related = ["policy", "model"]
    search_fields = ["policy__number"]
    raw_id_fields = ["policy", "model"]
    ordering = ["-as_of", "-score"]
    list_per_page = 100
