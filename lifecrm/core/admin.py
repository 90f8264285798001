"""Admin for the kernel's reference data; calendar years, audit and job tables are read-only."""
from django.contrib import admin
from django.db import transaction

from lifecrm.core.models import AuditEvent, CalendarDay, CalendarYear, JobRun, Jurisdiction, JurisdictionRule
from lifecrm.core.services import reference_data_changed


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReferenceDataAdmin(admin.ModelAdmin):
    """Every change raises the reference data version in its own transaction, so that every process's cached
    rules and calendars (`core.selectors`) take it up, not only this one's."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            reference_data_changed()

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            reference_data_changed()

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            reference_data_changed()


@admin.register(Jurisdiction)
class JurisdictionAdmin(ReferenceDataAdmin):
    list_display = ["code", "name", "currency", "time_zone"]


@admin.register(JurisdictionRule)
class JurisdictionRuleAdmin(ReferenceDataAdmin):
    list_display = ["jurisdiction", "key", "quantity", "unit", "customer_deadline", "source"]
    list_filter = ["jurisdiction", "unit"]
    search_fields = ["key", "source"]


@admin.register(CalendarDay)
class CalendarDayAdmin(ReferenceDataAdmin):
    list_display = ["jurisdiction", "day", "is_working_day", "name", "is_override"]
    list_filter = ["jurisdiction", "is_working_day", "is_override"]
    date_hierarchy = "day"


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    """Written by `lifecrm load-calendar` (a published year) and by migrate (the shipped years), never by hand."""

    list_display = ["jurisdiction", "year", "status", "source", "loaded_at"]
    list_filter = ["jurisdiction", "status"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "system_actor", "action", "object_type", "object_id", "field", "purpose"]
    list_filter = ["action", "object_type"]


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["step", "as_of", "status", "chunk_count", "started_at", "finished_at"]
    list_filter = ["status", "step"]
