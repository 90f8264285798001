"""Who a service acts for: a person (a login, or their staff record) or a named system caller.

Every write service takes `actor` and checks it (`org.access.authorize`): a person must hold the grant and
see the object; a system caller (`system("run-daily")`: the daily batch, a bank file imported by an operator's
command, the demo and the generator) is trusted and named in the audit trail. There is no anonymous caller:
`actor=None` is refused (deny by default).

A service that has checked its actor and calls another service passes `on_behalf(actor, action)`: the callee
trusts the check already made, and the audit trail still names the person.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True, slots=True)
class SystemActor:
    """A program, not a person: trusted by every service, named in the audit trail (`system:<name>`)."""

    name: str

    def __str__(self) -> str:
        return f"system:{self.name}"


@dataclass(frozen=True, slots=True)
class Checked:
    """A person whose permission a calling service has checked for `action` (the callee does not check again)."""

    actor: Any
    action: str

    def __str__(self) -> str:
        return str(self.actor)


def system(name: str) -> SystemActor:
    name = name.strip()
    if not name:
        raise ValueError("a system actor needs a name")
    return SystemActor(name)


# The generic system caller, for code paths no more specific name fits (and the test suite's set-up).
SYSTEM = system("system")
# The daily batch (`lifecrm run-daily` and its Celery chunks).
RUN_DAILY = system("run-daily")
# `lifecrm demo-setup`: the demo book's staff logins and its worked examples.
DEMO_SETUP = system("demo-setup")


# The programs a history may name (an event's `system_actor`), in words in the reader's language.
SYSTEM_ACTOR_LABELS = {
    "system": _("the system"),
    "run-daily": _("the daily batch"),
    "routing": _("automatic routing"),
    "generator": _("the generated book"),
    "demo-setup": _("the demo set-up"),
    "bank-import": _("a bank file import"),
    "surveys": _("the surveys"),
    "survey-link": _("the customer's survey answer"),
}


def system_actor_label(name: str) -> str:
    """A program named in a history (`routing`, `run-daily`…) in words; any other name (a person's) as stored."""
    label = SYSTEM_ACTOR_LABELS.get(name)
    return str(label) if label is not None else name


def on_behalf(actor, action: str):
    """`actor`, marked as checked for `action`, for the services the checking service calls in turn."""
    if actor is None or isinstance(actor, SystemActor | Checked):
        return actor
    return Checked(actor, str(action))


def trusted(actor) -> bool:
    """A system caller, or a person a calling service has already checked."""
    return isinstance(actor, SystemActor | Checked)


def person(actor):
    """The person behind an actor (a login or a staff record), or None for a system caller."""
    if isinstance(actor, Checked):
        actor = actor.actor
    if actor is None or isinstance(actor, SystemActor):
        return None
    return actor


def audit_user(actor):
    """The login the audit trail records for `actor` (a staff record's login), or None."""
    actor = person(actor)
    if actor is None:
        return None
    from django.contrib.auth import get_user_model

    if isinstance(actor, get_user_model()):
        return actor if actor.pk else None
    user = getattr(actor, "user", None)  # a staff record
    return user if getattr(user, "pk", None) else None


def audit_system_name(actor) -> str:
    return actor.name if isinstance(actor, SystemActor) else ""


def require_model_permissions(actor, *permissions: str) -> None:
    """The check of a core service (core sits below org, so it cannot ask `org.access.authorize`): a system caller
    and a person already checked pass; a person passes only with every Django model permission named
    ("app_label.codename", the admin site's right to the same data, which `org.rules.ADMIN_SITE_PERMISSIONS`
    gives by role); anyone else, and no actor, is refused (`PermissionDenied`): deny by default."""
    from django.core.exceptions import PermissionDenied

    if trusted(actor):
        return
    user = audit_user(actor)
    if user is None:
        raise PermissionDenied("a service was called without an actor: pass the person, or core.actors.system(name)")
    if not user.is_active or not user.has_perms(permissions):
        raise PermissionDenied(f"{user} may not do this (needs {', '.join(permissions)})")
