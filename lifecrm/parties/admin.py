"""Admin for customers: read-only (customers change through services, with audit); the entitlements per tier are
reference data the administrators edit."""
from django.contrib import admin

from lifecrm.core.admin import ReadOnlyAdmin
from lifecrm.parties.models import Consent, Customer, CustomerSegment, Entitlement, Relationship


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["number", "name", "name_romanised", "kind", "sex", "birth_date", "branch", "servicing_agent"]
    list_filter = ["kind", "jurisdiction", "preferred_channel"]
    search_fields = ["number", "name", "name_search", "mobile_phone"]
    exclude = ["id_number"]  # never shown in the admin; reveals go through the audited workbench action
    list_select_related = ["branch", "servicing_agent"]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["customer", "purpose", "granted", "at", "source"]
    list_filter = ["purpose", "granted", "source"]
    raw_id_fields = ["customer"]


@admin.register(Relationship)
class RelationshipAdmin(ReadOnlyAdmin):
    list_display = ["from_customer", "kind", "to_customer", "since"]
    list_filter = ["kind"]


@admin.register(CustomerSegment)
class CustomerSegmentAdmin(ReadOnlyAdmin):
    list_display = ["customer", "tier", "stage", "valid_from", "valid_to", "confirmed_on", "set_by"]
    list_filter = ["tier", "stage"]
    raw_id_fields = ["customer"]


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin):
    list_display = ["tier", "stage", "reminder_ladder", "routing_priority", "sla_multiplier", "dedicated_manager"]
    list_filter = ["tier"]
