"""Who may use the workbench: a logged-in user with an active staff record, and the data scope they carry."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from lifecrm.org.rules import ScopeKind
from lifecrm.org.selectors import data_scope_for_user, staff_for_user


class WorkbenchForbidden(PermissionDenied):
    """A refusal whose message is written for the staff member and may be shown as it is."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.user_message = message


NO_STAFF_RECORD = _(
    "Your login has no active staff record, so the workbench shows you nothing. "
    "Ask your administrator to link your login to a staff member."
)


def staff_required(view):
    """Anonymous users go to the login page; a user without a staff record gets a 403 page.

    The view finds the data scope on `request.scope`; the layout reads the staff member (name,
    role, unit) from `request.staff`, loaded once and only if a template asks for it.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        scope = data_scope_for_user(request.user)
        if scope.kind == ScopeKind.NONE:
            raise WorkbenchForbidden(NO_STAFF_RECORD)
        request.scope = scope
        user = request.user
        request.staff = SimpleLazyObject(lambda: staff_for_user(user))
        return view(request, *args, **kwargs)

    return wrapper
