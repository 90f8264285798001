"""Admin for the service desk: the care rules are reference data HQ edits; care events are read-only (they change
through the daily steps and the care services, with audit)."""
from django.contrib import admin

from lifecrm.core.admin import ReadOnlyAdmin
from lifecrm.service.models import CareEvent, CareRule


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
