"""Admin for the value app: assumption sets and policy values, read-only (derived data, never edited by hand)."""
from django.contrib import admin

from lifecrm.core.admin import ReadOnlyAdmin
from lifecrm.value.models import AssumptionRate, AssumptionSet, PolicyValue


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
