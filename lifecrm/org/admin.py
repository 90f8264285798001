"""Admin for the org chart and staff (reference data).

An org unit's parent and materialised path decide who sees what (every customer and policy keeps a copy of its
unit's path), so neither is edited here: a unit moves through the "Move to another parent unit" action, which
calls `org.services.org_unit_move` (every path and copy rewritten in one transaction, audited). Django's model
permissions are the admin's grant: its writes reach the services as `core.actors.Checked`.
"""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lifecrm.core.actors import Checked
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.services import OrgUnitMoveRefused, org_unit_create, org_unit_move

PATH_NOTE = _("The parent unit and the path decide who sees this unit's customers and policies, so they are not "
              "edited here. To move a unit, select it in the list of org units and choose the action "
              "“Move to another parent unit”: every path and every copy of it is rewritten together.")


def admin_actor(request, permission: str) -> Checked:
    """The admin user, checked by Django's model permission `permission` (raises PermissionDenied without it)."""
    if not request.user.has_perm(permission):
        raise PermissionDenied
    return Checked(request.user, f"admin:{permission}")


class MoveForm(forms.Form):
    new_parent = forms.ModelChoiceField(
        label=_("New parent unit"), queryset=OrgUnit.objects.exclude(kind=OrgUnit.Kind.TEAM).order_by("path"))
    as_of = forms.DateField(label=_("Effective date"), initial=timezone.localdate)


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "path", "jurisdiction", "city"]
    list_filter = ["kind", "jurisdiction"]
    search_fields = ["code", "name", "name_en"]
    raw_id_fields = ["parent"]
    actions = ["move_units"]

    def get_fieldsets(self, request, obj=None):
        fields = ["code", "name", "name_en", "kind", "parent", "path", "jurisdiction", "city"]
        return [(None, {"fields": fields, "description": PATH_NOTE if obj is not None else ""})]

    def get_readonly_fields(self, request, obj=None):
        return ["path", "parent"] if obj is not None else ["path"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)  # path and parent are read-only: they stay
            return
        created = org_unit_create(
            actor=admin_actor(request, "org.add_orgunit"), code=obj.code, name=obj.name, name_en=obj.name_en,
            kind=obj.kind, parent=obj.parent, jurisdiction=obj.jurisdiction_id, city=obj.city)
        obj.pk, obj.path = created.pk, created.path
        obj._state.adding = False

    @admin.action(description=_("Move to another parent unit"), permissions=["change"])
    def move_units(self, request, queryset):
        form = MoveForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            actor = admin_actor(request, "org.change_orgunit")
            try:
                with transaction.atomic():  # all the selected units move, or none
                    moves = [org_unit_move(actor=actor, unit=unit, new_parent=form.cleaned_data["new_parent"],
                                           as_of=form.cleaned_data["as_of"]) for unit in queryset.order_by("path")]
            except OrgUnitMoveRefused as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            for move in moves:
                self.message_user(request, _("%(unit)s moved: %(units)s units and %(rows)s customers and policies "
                                             "now follow its new path.") % {
                    "unit": move.unit, "units": move.units, "rows": sum(move.copies.values())}, messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/org/orgunit/move.html", {
            **self.admin_site.each_context(request), "title": _("Move to another parent unit"), "form": form,
            "units": queryset, "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["employee_no", "name", "role", "org_unit", "preferred_language", "is_active"]
    list_filter = ["role", "preferred_language", "is_active"]
    search_fields = ["employee_no", "name", "name_romanised"]
    raw_id_fields = ["user", "org_unit"]
