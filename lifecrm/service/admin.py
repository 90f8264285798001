"""Admin for the service desk: case types and categories, queues, routing, SLA policies, business hours, closures
(a typhoon signal declared at head office) and care rules are reference data HQ edits; care events are read-only
(they change through the daily steps and the care services, with audit). A closure or an SLA policy reaches the
cached deadlines of open cases at the next SLA sweep."""
from django.contrib import admin

from lifecrm.core.admin import ReadOnlyAdmin
from lifecrm.service.models import (
    BusinessHours,
    CareEvent,
    CareRule,
    CaseCategory,
    CaseType,
    ClosurePeriod,
    DefaultQueue,
    Queue,
    QueueMember,
    RoutingRule,
    SlaPolicy,
)


@admin.register(CareRule)
class CareRuleAdmin(admin.ModelAdmin):
    list_display = ["occasion", "tier", "action", "offset_days", "festival", "is_active"]
    list_filter = ["occasion", "tier", "action", "is_active"]
    list_editable = ["is_active"]


@admin.register(CareEvent)
class CareEventAdmin(ReadOnlyAdmin):
    list_display = ["key", "occasion", "occasion_date", "action", "channel", "status", "send_after", "sent_at"]
    list_filter = ["occasion", "action", "status", "channel"]
    raw_id_fields = ["customer", "policy"]


@admin.register(CaseType)
class CaseTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "prefix", "default_priority", "is_active"]


@admin.register(CaseCategory)
class CaseCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "case_type", "name", "name_en", "is_active"]
    list_filter = ["case_type", "is_active"]


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "org_unit"]
    raw_id_fields = ["org_unit"]


@admin.register(QueueMember)
class QueueMemberAdmin(admin.ModelAdmin):
    list_display = ["queue", "staff", "capacity", "is_active"]
    list_filter = ["queue", "is_active"]
    raw_id_fields = ["staff"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["position", "case_type", "category", "language", "branch", "tier", "queue", "is_active"]
    list_filter = ["queue", "is_active"]
    raw_id_fields = ["branch"]


@admin.register(DefaultQueue)
class DefaultQueueAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "queue"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["case_type", "tier", "priority", "jurisdiction", "version", "valid_from"]
    list_filter = ["jurisdiction", "case_type"]


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "weekday", "start", "end"]
    list_filter = ["jurisdiction"]


@admin.register(ClosurePeriod)
class ClosurePeriodAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "starts_at", "ends_at", "reason"]
    list_filter = ["jurisdiction"]

