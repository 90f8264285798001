"""Admin for the product catalogue: products and mode factors editable, rate and cash value tables read-only."""
from django.contrib import admin

from lifecrm.core.admin import ReadOnlyAdmin
from lifecrm.products.models import CashValue, PremiumModeFactor, PremiumRate, Product


class PremiumModeFactorInline(admin.TabularInline):
    model = PremiumModeFactor
    extra = 0
    fields = ["mode", "payments_per_year", "factor"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "code", "name", "name_en", "kind", "is_rider", "jurisdiction", "currency",
        "terms", "premium_terms", "min_issue_age", "max_issue_age", "interest_rate", "is_active",
    ]  # fmt: skip
    list_filter = ["jurisdiction", "kind", "is_rider", "is_active"]
    search_fields = ["code", "name", "name_en"]
    readonly_fields = ["tables_checksum"]
    inlines = [PremiumModeFactorInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "name_en", "kind", "is_rider", "jurisdiction", "currency", "is_active"]}),
        (
            "Terms and limits",
            {
                "fields": [
                    "premium_modes", "terms", "premium_terms", "min_issue_age", "max_issue_age",
                    "min_sum_assured", "max_sum_assured", "loan_limit_pct", "grace_basis",
                ]  # fmt: skip
            },
        ),
        ("Pricing basis", {"fields": ["mortality_basis", "interest_rate", "basis_note", "tables_checksum"]}),
    ]


class ReadOnlyTableAdmin(ReadOnlyAdmin):
    """Derived tables: change them by rerunning the derivation and `lifecrm load-products`, never by hand."""

    list_select_related = ["product"]
    list_per_page = 200


@admin.register(PremiumRate)
class PremiumRateAdmin(ReadOnlyTableAdmin):
    list_display = ["product", "sex", "issue_age", "term", "premium_term", "rate"]
    list_filter = ["product", "sex", "term", "premium_term"]
    search_fields = ["product__code"]
    ordering = ["product__code", "sex", "term", "premium_term", "issue_age"]


@admin.register(CashValue)
class CashValueAdmin(ReadOnlyTableAdmin):
    list_display = ["product", "sex", "issue_age", "term", "premium_term", "policy_year", "value"]
    list_filter = ["product", "sex", "term", "premium_term"]
    search_fields = ["product__code"]
    ordering = ["product__code", "sex", "term", "premium_term", "issue_age", "policy_year"]
