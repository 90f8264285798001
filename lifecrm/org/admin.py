"""Admin for the org chart and staff (reference data)."""
from django.contrib import admin

from lifecrm.org.models import OrgUnit, Staff


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "jurisdiction", "city"]
    list_filter = ["kind", "jurisdiction"]
    search_fields = ["code", "name", "name_en"]
    raw_id_fields = ["parent"]


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["employee_no", "name", "role", "org_unit", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["employee_no", "name", "name_romanised"]
    raw_id_fields = ["user", "org_unit"]
