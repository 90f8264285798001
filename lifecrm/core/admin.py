"""Admin for the kernel's reference data; audit and job tables are read-only."""
from django.contrib import admin

from lifecrm.core.models import AuditEvent, CalendarDay, JobRun, Jurisdiction, JurisdictionRule


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "currency", "time_zone"]


@admin.register(JurisdictionRule)
class JurisdictionRuleAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "key", "quantity", "unit", "customer_deadline", "source"]
    list_filter = ["jurisdiction", "unit"]
    search_fields = ["key", "source"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "day", "is_working_day", "name", "is_override"]
    list_filter = ["jurisdiction", "is_working_day", "is_override"]
    date_hierarchy = "day"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "field", "purpose"]
    list_filter = ["action", "object_type"]


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["step", "as_of", "status", "chunk_count", "started_at", "finished_at"]
    list_filter = ["status", "step"]
