"""Reads of the organisation: a user's staff record and data scope, units in a subtree."""
from __future__ import annotations

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from lifecrm.core.actors import person
from lifecrm.core.prepared import prepared, register_placeholder
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.rules import DataScope, ScopeKind, scope_for

NO_SCOPE = DataScope(ScopeKind.NONE)


@prepared(values=("user_id",))
def _active_staff(*, user_id: int):
    return Staff.objects.select_related("org_unit").filter(user_id=user_id, is_active=True)


def staff_for_user(user) -> Staff | None:
    """The active staff record of a login (a prepared read: every page's request makes it), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    found = _active_staff(user_id=user.pk)
    return found[0] if found else None


def acting_staff(actor) -> Staff | None:
    """The staff record behind an actor (a staff record, or a login's: active or not, as the audit trail needs),
    or None for a system caller or a login without one."""
    who = person(actor)
    if who is None or isinstance(who, Staff):
        return who
    return Staff.objects.filter(user=who).first()


def request_staff(user) -> Staff | None:
    """The staff record `data_scope_for_user` read for this user object (a page's request), without reading
    it again; read now when it has not run."""
    if hasattr(user, "_lifecrm_staff"):
        return user._lifecrm_staff
    return staff_for_user(user)


def scope_for_staff(staff: Staff) -> DataScope:
    """The data scope of a staff record (its role, and its unit's kind and path)."""
    return scope_for(role=staff.role, unit_kind=staff.org_unit.kind, unit_path=staff.org_unit.path, staff_id=staff.pk)


def data_scope_for_user(user) -> DataScope:
    """The data scope of a logged-in user; a user without an active staff record sees nothing. The scope and
    the staff record are kept on the user object, which lives for one request."""
    cached = getattr(user, "_lifecrm_scope", None)
    if cached is not None:
        return cached
    staff = staff_for_user(user)
    scope = NO_SCOPE if staff is None else scope_for_staff(staff)
    if user is not None:
        user._lifecrm_scope = scope
        user._lifecrm_staff = staff
    return scope


def units_in_scope(scope: DataScope):
    qs = OrgUnit.objects.all()
    if scope.kind == ScopeKind.ALL:
        return qs
    if scope.kind in (ScopeKind.SUBTREE, ScopeKind.OWN_BOOK):
        return qs.filter(path__startswith=scope.unit_path)
    return qs.none()


def in_scope(queryset: QuerySet, scope: DataScope, *, path_field: str | None = None,
             agent_field: str | None = None) -> QuerySet:
    """`queryset` narrowed to the scope: everything for HQ, the unit's subtree by the rows' materialised
    path in `path_field`, or an agent's own book by `agent_field`; nothing without a staff record.

    The fields default to the model's `SCOPE_FIELDS`; this is `DataScope.contains` as a query filter.
    """
    if path_field is None or agent_field is None:
        fields = queryset.model.SCOPE_FIELDS  # a model without them has no data scope: an error, not "all"
        path_field, agent_field = path_field or fields.path, agent_field or fields.agent
    if scope.kind == ScopeKind.ALL:
        return queryset
    if scope.kind == ScopeKind.SUBTREE and scope.unit_path:
        return queryset.filter(**{f"{path_field}__startswith": scope.unit_path})
    if scope.kind == ScopeKind.OWN_BOOK and scope.staff_id is not None:
        return queryset.filter(**{agent_field: scope.staff_id})
    return queryset.none()


def in_scope_flag(scope: DataScope, *, path_field: str, agent_field: str):
    """Whether a row lies inside the scope, as a boolean column (the test `in_scope` filters by), for a list that
    also shows rows outside the scope, unlinked, and must not ask a second query which of them it may link."""
    if scope.kind == ScopeKind.ALL:
        return Value(True)
    if scope.kind == ScopeKind.SUBTREE:
        condition = Q(**{f"{path_field}__startswith": scope.unit_path})
    elif scope.kind == ScopeKind.OWN_BOOK:
        condition = Q(**{agent_field: scope.staff_id})
    else:
        return Value(False)
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def _scope_placeholder(scope: DataScope, mark) -> tuple[tuple, DataScope]:
    """A data scope in a prepared read (core.prepared): its kind and role are the query's shape; the unit path of a
    subtree and the staff id of an own book, the only parts `in_scope` makes parameters, are values."""
    shape = (scope.kind, scope.role, bool(scope.unit_path), scope.staff_id is None)
    if scope.kind == ScopeKind.SUBTREE and scope.unit_path:
        return shape, DataScope(scope.kind, unit_path=mark(scope.unit_path), role=scope.role)
    if scope.kind == ScopeKind.OWN_BOOK and scope.staff_id is not None:
        return shape, DataScope(scope.kind, unit_path=mark(scope.unit_path) if scope.unit_path else "",
                                staff_id=mark(scope.staff_id), role=scope.role)
    return shape, DataScope(scope.kind, role=scope.role)


register_placeholder(DataScope, _scope_placeholder)
