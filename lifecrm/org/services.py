"""Writes of the organisation: org units (with their materialised path) and staff members."""
from __future__ import annotations

from django.db import transaction

from lifecrm.core.services import audit_record
from lifecrm.org.models import OrgUnit, Staff


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
