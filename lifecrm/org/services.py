"""Writes of the organisation: org units (with their materialised path) and staff members."""
from __future__ import annotations

from django.db import transaction

from lifecrm.core.services import audit_record
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.rules import ADMIN_SITE_PERMISSIONS


@transaction.atomic
def org_unit_create(*, actor, code: str, name: str, kind: str, parent: OrgUnit | None = None,
                    name_en: str = "", jurisdiction: str = "CN", city: str = "") -> OrgUnit:
    unit = OrgUnit.objects.create(code=code, name=name, name_en=name_en, kind=kind, parent=parent,
                                  jurisdiction_id=jurisdiction, city=city, path="")
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    audit_record(actor=actor, action="create", object_type="org.orgunit", object_id=unit.pk,
                 after={"code": code, "path": unit.path})
    return unit


@transaction.atomic
def staff_create(*, actor, employee_no: str, name: str, role: str, org_unit: OrgUnit, user=None,
                 **fields) -> Staff:
    staff = Staff(employee_no=employee_no, name=name, role=role, org_unit=org_unit, user=user, **fields)
    staff.full_clean()
    staff.save()
    audit_record(actor=actor, action="create", object_type="org.staff", object_id=staff.pk,
                 after={"employee_no": employee_no, "role": role, "unit": org_unit.pk})
    return staff


@transaction.atomic
def admin_site_access_set(*, actor, user, role: str) -> None:
    """Give a login the admin site its role has (`org.rules.ADMIN_SITE_PERMISSIONS`), never a superuser's."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    wanted = ADMIN_SITE_PERMISSIONS.get(role, frozenset())
    query = Q(pk__in=[])
    for name in wanted:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    permissions = list(Permission.objects.filter(query))
    before = {"is_staff": user.is_staff, "is_superuser": user.is_superuser}
    user.is_staff = bool(wanted)
    user.is_superuser = False
    user.save(update_fields=["is_staff", "is_superuser"])
    user.user_permissions.set(permissions)
    audit_record(actor=actor, action="update", object_type="auth.user", object_id=user.pk, field="admin_site",
                 before=before, after={"is_staff": user.is_staff, "is_superuser": False,
                                       "permissions": sorted(wanted)})
