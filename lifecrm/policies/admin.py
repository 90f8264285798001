"""Admin for policies: read-only (status and contract data change only through services)."""
from django.contrib import admin

from lifecrm.core.admin import ReadOnlyAdmin
from lifecrm.policies.models import Coverage, LoanRepayment, Policy, PolicyEvent, PolicyLoan, PolicyVersion


class VersionInline(admin.TabularInline):
    model = PolicyVersion
    extra = 0
    can_delete = False
    fields = ["version_no", "effective_from", "effective_to", "sum_assured", "premium_mode", "modal_premium",
              "payment_method", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = PolicyEvent
    extra = 0
    can_delete = False
    fields = ["seq", "kind", "from_status", "to_status", "effective_date", "recorded_at", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = ["number", "product", "status", "issue_date", "paid_to_date", "branch", "agent"]
    list_filter = ["status", "product", "channel"]
    search_fields = ["number"]
    list_select_related = ["product", "branch", "agent"]
    inlines = [VersionInline, EventInline]


@admin.register(Coverage)
class CoverageAdmin(ReadOnlyAdmin):
    list_display = ["policy", "product", "is_base", "sum_assured", "annual_premium", "start_date", "end_date"]
    raw_id_fields = ["policy"]


class RepaymentInline(admin.TabularInline):
    model = LoanRepayment
    extra = 0
    can_delete = False
    fields = ["paid_on", "amount", "reference", "recorded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PolicyLoan)
class PolicyLoanAdmin(ReadOnlyAdmin):
    list_display = ["policy", "kind", "principal", "rate_percent", "taken_on", "settled_on", "reference"]
    list_filter = ["kind"]
    raw_id_fields = ["policy"]
    inlines = [RepaymentInline]
