"""API tokens in the admin site: listed and revoked (deleted), never created or shown (only their hash is
stored; `lifecrm api-token` creates one and prints it once)."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from lifecrm.api.models import ApiToken

if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("token_start", "user", "created", "expiry")
    search_fields = ("token_key", "user__username")
    readonly_fields = ("token_key", "user", "created", "expiry")
    fields = readonly_fields
    list_select_related = ("user",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("token starts with"))
    def token_start(self, obj) -> str:
        return obj.token_key
