"""Who may open a collection page: a logged-in user with an active staff record whose role the page allows.

Billing sits below the workbench (import-linter), so it has its own small guard: anonymous users go
to the login page, a user without a staff record or with a role the page does not serve gets the
site's 403 page. The view finds the data scope on `request.scope` and the staff member (loaded once,
when asked) on `request.staff`, as the workbench's layout expects.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.functional import SimpleLazyObject

from lifecrm.org.rules import DataScope, ScopeKind
from lifecrm.org.selectors import data_scope_for_user, staff_for_user


def collection_staff(allowed: Callable[[DataScope], bool] | None = None):
    """Decorator: staff only; `allowed(scope)` says whether the staff member's role may use the page."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            scope = data_scope_for_user(request.user)
            if scope.kind == ScopeKind.NONE or (allowed is not None and not allowed(scope)):
                raise PermissionDenied
            request.scope = scope
            user = request.user
            request.staff = SimpleLazyObject(lambda: staff_for_user(user))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
