"""Admin of the outbox, read-only: what was sent to whom, what failed and why (the given up ones)."""
from django.contrib import admin

from lifecrm.core.admin import ReadOnlyAdmin
from lifecrm.notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["key", "app", "channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["status", "channel", "app"]
    search_fields = ["=key"]
    date_hierarchy = "created_at"
