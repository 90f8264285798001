"""Servicing's timeline source: the milestones of a customer's servicing requests."""
from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifecrm.core.registries import TimelineEntry, register_timeline_count, register_timeline_source
from lifecrm.servicing.selectors import customer_request_event_count, customer_request_events
from lifecrm.servicing.templatetags.servicing import type_name

SOURCE = "servicing.requests"
KIND_LABELS = {
    "received": gettext_lazy("received"), "accepted": gettext_lazy("accepted"),
    "missing_notice": gettext_lazy("missing documents asked for"), "complete": gettext_lazy("complete"),
    "approved": gettext_lazy("approved"), "declined": gettext_lazy("declined"), "rejected": gettext_lazy("rejected"),
    "cancelled": gettext_lazy("cancelled"), "executed": gettext_lazy("executed"),
    "payment_result": gettext_lazy("the bank's answer on the payment"),
    "payment_reissued": gettext_lazy("a rejected payment sent again"),
}


@register_timeline_source(SOURCE, kind="servicing", label=gettext_lazy("Servicing requests"))
def request_timeline(*, scope, customer_id: int, as_of: date, limit: int = 200) -> list[TimelineEntry]:
    entries = []
    for event in customer_request_events(scope=scope, customer_id=customer_id, until=as_of, limit=limit):
        request = event.request
        title = _("Servicing request %(number)s (%(type)s) %(what)s") % {
            "number": request.number, "type": type_name(request.request_type),
            "what": KIND_LABELS.get(event.kind, event.kind)}
        entries.append(TimelineEntry(at=event.on, kind="servicing", title=title, detail=event.note[:160],
                                     url=reverse("servicing:request", args=[request.pk]), source=SOURCE,
                                     sort_key=(event.on, event.pk)))
    return entries


@register_timeline_count(SOURCE)
def request_timeline_count(*, scope, customer_id: int, as_of: date) -> int:
    return customer_request_event_count(scope=scope, customer_id=customer_id, until=as_of)
