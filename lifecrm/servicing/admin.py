"""Admin for policy servicing: the request types are reference data head office edits (their documents, approval
rule and fee); requests are read-only (they change through servicing.services, with audit)."""
from django.contrib import admin

from lifecrm.core.admin import ReadOnlyAdmin
from lifecrm.servicing.models import RequestType, ServiceRequest


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "approval_always", "approval_above", "fee", "sort_order", "is_active"]
    list_filter = ["approval_always", "is_active"]
    readonly_fields = ["code"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    list_display = ["number", "request_type", "status", "received_on", "due_on", "channel", "maker", "checker"]
    list_filter = ["status", "request_type", "channel"]
    raw_id_fields = ["policy", "customer"]

