"""Admin for customers: read-only (customers change through services, with audit)."""
from django.contrib import admin

from lifecrm.core.admin import ReadOnlyAdmin
from lifecrm.parties.models import Consent, Customer, Relationship


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
