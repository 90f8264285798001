"""Template tags of the access rules: `{% may "billing.take_payment" as flag %}`, `{% visible record as linked %}`.

Both read the data scope the page's guard put on `request.scope` and run no query: a template links a
customer or a policy only when `visible` says the scope contains it, and offers an action only when `may`
says the role has it. Without a scope (an error page, a test rendering a fragment) both say no.
"""
from __future__ import annotations

from django import template

from lifecrm.org import access
from lifecrm.org.rules import Action

register = template.Library()


def _scope(context):
    request = context.get("request")
    return getattr(request, "scope", None)


@register.simple_tag(takes_context=True)
def may(context, action: str, obj=None) -> bool:
    """Whether the staff member's role may take `action` (on `obj`, when given, which must be in scope)."""
    scope = _scope(context)
    return scope is not None and access.may(scope, Action(action), obj)


@register.simple_tag(takes_context=True)
def visible(context, obj) -> bool:
    """Whether the record lies in the staff member's data scope, so that a link to it opens."""
    scope = _scope(context)
    return scope is not None and obj is not None and access.visible(scope, obj)
