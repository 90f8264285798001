"""`{{ event.actor|staff_name }}`: who did something, as colleagues know them — the staff member's name, not the
login (`demo-counter`); a login without a staff record (a superuser, an API client) by its user name. The
history's query reads the staff record with the user (`select_related("actor__staff")`): no query here."""
from __future__ import annotations

from django import template
from django.core.exceptions import ObjectDoesNotExist

register = template.Library()


@register.filter
def staff_name(user) -> str:
    if user is None:
        return ""
    try:
        staff = user.staff
    except ObjectDoesNotExist:
        staff = None
    return staff.name if staff is not None else user.get_username()
