"""Writes of the organisation: org units (with their materialised path), their moves, and staff members.

Every write is HQ service management's (`Action.MANAGE_ORG`): the org chart decides who sees what."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from lifecrm.core.registries import path_copies, rewrite_path_prefix
from lifecrm.core.services import audit_record
from lifecrm.org.access import Action, authorize
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.rules import ADMIN_SITE_PERMISSIONS

# A unit hangs under a unit of a higher rank: teams under branches (or HQ), branches under HQ.
RANK = {OrgUnit.Kind.HQ: 0, OrgUnit.Kind.BRANCH: 1, OrgUnit.Kind.TEAM: 2}
PATH_MAX_LENGTH = OrgUnit._meta.get_field("path").max_length


class OrgUnitMoveRefused(ValueError):
    """A move the org chart does not allow; the message says why."""


@dataclass(frozen=True)
class OrgUnitMove:
    unit: OrgUnit
    old_path: str
    new_path: str
    units: int  # org units whose path changed (the unit and its subtree)
    copies: dict[str, int] = field(default_factory=dict)  # rows rewritten per registered copy of the path


@transaction.atomic
def org_unit_create(*, actor, code: str, name: str, kind: str, parent: OrgUnit | None = None,
                    name_en: str = "", jurisdiction: str = "CN", city: str = "") -> OrgUnit:
    authorize(actor, Action.MANAGE_ORG)
    unit = OrgUnit.objects.create(code=code, name=name, name_en=name_en, kind=kind, parent=parent,
                                  jurisdiction_id=jurisdiction, city=city, path="")
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    audit_record(actor=actor, action="create", object_type="org.orgunit", object_id=unit.pk,
                 after={"code": code, "path": unit.path})
    return unit


def org_unit_move(*, actor, unit: OrgUnit, new_parent: OrgUnit, as_of: date, chunk_size: int = 2000) -> OrgUnitMove:
    """Hang `unit` (and its subtree) under `new_parent`: every materialised path of the subtree and every copy of
    it in other apps' tables (`core.registries.register_path_copy`) is rewritten, in one transaction, chunked; the
    move is audited with what it rewrote. Who sees the unit's customers and policies changes with it: a manager
    of the new parent sees them, the old parent's no longer does."""
    authorize(actor, Action.MANAGE_ORG)
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        new_parent = OrgUnit.objects.select_for_update().get(pk=new_parent.pk)
        if unit.parent_id is None:
            raise OrgUnitMoveRefused(_("%(unit)s is the top of the org chart: it does not move.") % {"unit": unit.code})
        if new_parent.path.startswith(unit.path):
            raise OrgUnitMoveRefused(_("%(unit)s cannot move under %(parent)s, which lies in its own subtree.")
                                     % {"unit": unit.code, "parent": new_parent.code})
        if RANK[new_parent.kind] >= RANK[unit.kind]:
            raise OrgUnitMoveRefused(_("A %(kind)s cannot hang under a %(parent_kind)s (%(parent)s).") % {
                "kind": unit.get_kind_display(), "parent_kind": new_parent.get_kind_display(),
                "parent": new_parent.code})
        if unit.parent_id == new_parent.pk:
            return OrgUnitMove(unit, unit.path, unit.path, 0)
        old_path, new_path = unit.path, f"{new_parent.path}{unit.pk}/"
        deepest = max(len(p) for p in OrgUnit.objects.filter(path__startswith=old_path).values_list("path", flat=True))
        if deepest - len(old_path) + len(new_path) > PATH_MAX_LENGTH:
            raise OrgUnitMoveRefused(_("The org chart would be too deep under %(parent)s.") % {"parent": new_parent.code})
        old_parent = unit.parent
        OrgUnit.objects.filter(pk=unit.pk).update(parent=new_parent)
        units = rewrite_path_prefix(OrgUnit, "path", old_prefix=old_path, new_prefix=new_path, chunk_size=chunk_size)
        copies = {name: rewrite(old_prefix=old_path, new_prefix=new_path, chunk_size=chunk_size)
                  for name, rewrite in sorted(path_copies().items())}
        audit_record(actor=actor, action="update", object_type="org.orgunit", object_id=unit.pk, field="parent",
                     before={"parent": old_parent.code if old_parent else None, "path": old_path},
                     after={"parent": new_parent.code, "path": new_path, "as_of": as_of.isoformat(),
                            "units": units, "copies": copies})
        unit.refresh_from_db()
    return OrgUnitMove(unit, old_path, new_path, units, copies)


@transaction.atomic
def staff_create(*, actor, employee_no: str, name: str, role: str, org_unit: OrgUnit, user=None,
                 **fields) -> Staff:
    authorize(actor, Action.MANAGE_ORG)
    staff = Staff(employee_no=employee_no, name=name, role=role, org_unit=org_unit, user=user, **fields)
    staff.full_clean()
    staff.save()
    audit_record(actor=actor, action="create", object_type="org.staff", object_id=staff.pk,
                 after={"employee_no": employee_no, "role": role, "unit": org_unit.pk})
    return staff


@transaction.atomic
def admin_site_access_set(*, actor, user, role: str) -> None:
    """Give a login the admin site its role has (`org.rules.ADMIN_SITE_PERMISSIONS`), never a superuser's.
    Administrators only (`Action.ADMINISTER`), or a system caller (`demo-setup`)."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    authorize(actor, Action.ADMINISTER)
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
