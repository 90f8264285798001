"""Template tags of the working calendars: the mark of a deadline counted on a calendar not yet published."""
from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from lifecrm.core.selectors import deadline_is_provisional

register = template.Library()


@register.simple_tag
def provisional_mark(jurisdiction: str, day) -> str:
    """A "provisional" badge after a deadline that falls in a year the jurisdiction has not published, else ""."""
    if not day or not deadline_is_provisional(jurisdiction, day):
        return ""
    return provisional_badge()


@register.simple_tag
def provisional_badge() -> str:
    """The "provisional" badge itself, for a deadline whose caller knows it was counted on such a calendar."""
    return format_html(
        '<span class="badge text-bg-warning ms-1" data-testid="provisional-deadline" title="{}">{}</span>',
        _("Counted on a calendar not yet published: the date may move when the official calendar is loaded."),
        _("provisional"),
    )
