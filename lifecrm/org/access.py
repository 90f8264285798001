"""The one access check of every edge: may this staff member take this action, on this object?

The answer comes from `org.rules` (the grants of each role and the data scope); this module applies it:
- pages and htmx fragments: `@staff_page(action, …)`: anonymous users go to the login page (an htmx
  request is told to load it), a login without a staff record or whose role has none of the actions
  gets the 403 page; the view finds the scope on `request.scope` and the staff member on `request.staff`;
- the API: `StaffMayAct` (a DRF permission) reads the view's `access_action` (or `access_actions` by
  viewset action) and answers 403 with a code;
- services: `authorize(actor, action, obj)`: the actor (a login or a staff record) must hold the grant and see
  the object; a system caller (`core.actors.system`) and a person a calling service has already checked
  (`core.actors.on_behalf`) pass; no actor (`None`) is refused: deny by default;
- selectors: `require(scope, action, obj)` raises `AccessDenied` (the role) or `NotInScope`
  (an object outside the scope, which does not exist for the caller: a 404);
- templates: `{% may "billing.take_payment" as flag %}` and `{% visible customer as linked %}`
  (`org.templatetags.access`): a record outside the scope is never a link;
- commands: `command_scope(unit)`: what an operator's report covers (the company, or a unit's subtree).
"""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect
from rest_framework.permissions import BasePermission

from lifecrm.core.actors import person, trusted
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.rules import OPERATOR_SCOPE, Action, DataScope, ScopeKind, allows
from lifecrm.org.selectors import NO_SCOPE, data_scope_for_user, request_staff, scope_for_staff

__all__ = ["Action", "AccessDenied", "NotInScope", "StaffMayAct", "actor_scope", "authorize", "command_scope", "may",
           "require", "staff_page", "visible"]

NO_STAFF_RECORD = _(
    "Your login has no active staff record, so the workbench shows you nothing. "
    "Ask your administrator to link your login to a staff member."
)
NO_STAFF_RECORD_API = _("Your login has no active staff record, so it may not use the API.")
# What a refusal says, per action; an action not listed gets the 403 page's general words.
REFUSALS = {
    Action.TAKE_PAYMENT: _("Your role may not take payments."),
    Action.REVEAL_ID: _("Your role may not see full ID numbers. Work with the masked number, or ask a counter or "
                        "claims colleague."),
    Action.EXPORT_PERSONAL_DATA: _("Only head office service management may export a customer's personal data."),
    Action.ANONYMISE_CUSTOMER: _("Only head office service management may anonymise a customer."),
    Action.ASSIST_EMERGENCY: _("Emergency assistance is handled by the call centre and head office. Transfer the "
                               "caller to the emergency line."),
}
REFUSED = _("Your role may not do this.")
NO_ACTOR = "a service was called without an actor: pass the person, or core.actors.system(name) for a program"


class AccessDenied(PermissionDenied):
    """A refusal whose message is written for the staff member and may be shown as it is (the 403 page)."""

    def __init__(self, message="") -> None:
        super().__init__(message)
        self.user_message = message


class NotInScope(Http404):
    """An object outside the caller's data scope: it does not exist for them (the 404 page, never a hint)."""


def visible(scope: DataScope, obj) -> bool:
    """Whether a loaded row (a customer, a policy: a model with `SCOPE_FIELDS`) lies in the scope; no query."""
    fields = type(obj).SCOPE_FIELDS
    return scope.contains(unit_path=getattr(obj, fields.path) or "", agent_id=getattr(obj, fields.agent))


def may(scope: DataScope, action: Action, obj=None) -> bool:
    """The role may take `action` and, when an object is named, the object lies in the scope."""
    return allows(scope, action) and (obj is None or visible(scope, obj))


def require(scope: DataScope, action: Action, obj=None) -> None:
    """`may`, or the refusal: `AccessDenied` for the role, `NotInScope` for an object outside the scope."""
    if not allows(scope, action):
        raise AccessDenied(REFUSALS.get(action, REFUSED) if scope.kind != ScopeKind.NONE else NO_STAFF_RECORD)
    if obj is not None and not visible(scope, obj):
        raise NotInScope("outside the data scope")


def actor_scope(actor) -> DataScope:
    """The data scope of a person acting: a staff record's, or a login's (none without an active staff record)."""
    if isinstance(actor, Staff):
        return scope_for_staff(actor) if actor.is_active else NO_SCOPE
    return data_scope_for_user(actor)


def acting_scope(actor) -> DataScope:
    """The scope a service checks `actor` against when it reads or writes by scope itself: the operator's (the
    whole book) for a system caller or a person a calling service has already checked, the person's own
    otherwise. `actor=None` is refused as in `authorize`; a caller never hands a service its scope."""
    if trusted(actor):
        return OPERATOR_SCOPE
    if person(actor) is None:
        raise AccessDenied(NO_ACTOR)
    return actor_scope(actor)


def authorize(actor, action: Action, obj=None) -> None:
    """The check every write service makes before it writes: `require` for the person acting (`actor_scope`).

    A system caller and a person already checked by the calling service pass; `actor=None` is a programming
    error refused as `AccessDenied` (there is no "anyone")."""
    if trusted(actor):
        return
    if person(actor) is None:
        raise AccessDenied(NO_ACTOR)
    require(actor_scope(actor), action, obj)


def staff_page(*actions: Action):
    """Decorator of a page or an htmx fragment: staff whose role may take one of `actions` (at least one
    must be named: a page that names none serves nobody, deny by default)."""
    wanted = tuple(Action(a) for a in actions)  # a misspelt action fails at import, not at request time
    if not wanted:
        raise TypeError("staff_page needs at least one action")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                login = redirect_to_login(request.get_full_path())
                if getattr(request, "htmx", False):  # a fragment must not swap the login page into itself
                    return HttpResponseClientRedirect(login["Location"])
                return login
            scope = data_scope_for_user(request.user)
            if scope.kind == ScopeKind.NONE:
                raise AccessDenied(NO_STAFF_RECORD)
            if not any(allows(scope, action) for action in wanted):
                raise AccessDenied(REFUSALS.get(wanted[0], "") if len(wanted) == 1 else "")
            request.scope = scope
            user = request.user
            request.staff = SimpleLazyObject(lambda: request_staff(user))  # read once with the scope
            return view(request, *args, **kwargs)

        wrapper.access_actions = wanted  # read by the test that every page is guarded
        return wrapper

    return decorator


class StaffMayAct(BasePermission):
    """The API's guard: a login with an active staff record whose role may take the view's action:
    `access_actions[<viewset action>]`, else `access_action` (default: using the workbench)."""

    message = NO_STAFF_RECORD_API
    code = "no_staff_record"

    def has_permission(self, request, view) -> bool:
        scope = data_scope_for_user(request.user)
        if scope.kind == ScopeKind.NONE:
            return False
        action = getattr(view, "access_actions", {}).get(getattr(view, "action", None)) or getattr(
            view, "access_action", Action.USE_WORKBENCH)
        if allows(scope, action):
            return True
        self.message = getattr(view, "access_refusal", None) or REFUSALS.get(action, REFUSED)
        self.code = "permission_denied"
        return False


def command_scope(unit_code: str | None) -> tuple[DataScope, OrgUnit | None]:
    """What a command run by an operator covers: the whole company, or the named unit's subtree (HQ: all).

    An unknown code is a `LookupError` naming it (the command turns it into its error line).
    """
    if not unit_code:
        return DataScope(ScopeKind.ALL), None
    unit = OrgUnit.objects.filter(code=unit_code).first()
    if unit is None:
        raise LookupError(f"no org unit with code {unit_code!r}")
    kind = ScopeKind.ALL if unit.kind == OrgUnit.Kind.HQ else ScopeKind.SUBTREE
    return DataScope(kind, unit.path), unit
