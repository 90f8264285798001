"""Template filters of the SLA pages: a length of time, a clock's name and state."""
from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

from lifecrm.service.sla_rules import Clock, ClockState

register = template.Library()

CLOCK_BADGES = {ClockState.BREACHED: "text-bg-danger", ClockState.MET: "text-bg-success",
                ClockState.PAUSED: "text-bg-secondary", ClockState.RUNNING: "text-bg-info"}


@register.filter
def span(value) -> str:
    """Seconds or a timedelta as days, hours and minutes ("2 d 3 h", "3 h 20 min", "45 min")."""
    seconds = int(value.total_seconds()) if isinstance(value, timedelta) else int(value or 0)
    seconds = max(0, seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


@register.filter
def clock_name(clock) -> str:
    return _("first answer") if Clock(clock) == Clock.RESPONSE else _("resolution")


@register.filter
def clock_badge(state) -> str:
    return CLOCK_BADGES.get(ClockState(state), "text-bg-light")
