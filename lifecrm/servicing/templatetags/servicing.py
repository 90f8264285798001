"""Template helpers of servicing pages: a request type's or document's name in the page's language."""
from __future__ import annotations

from django import template
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from lifecrm.core.actors import system_actor_label

register = template.Library()


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


@register.filter
def type_name(row) -> str:
    """A request type's (or checklist document's) English name on English pages, else its own name."""
    if row is None:
        return ""
    if isinstance(row, dict):  # a document of a request type's catalogue
        return row.get("name_en") if _english() and row.get("name_en") else row.get("name", "")
    return row.name_en if _english() and row.name_en else row.name


EVENT_LABELS = {
    "received": _("received"), "accepted": _("accepted"), "awaiting_documents": _("awaiting documents"),
    "document_received": _("document received"), "missing_notice": _("missing-items notice sent"),
    "complete": _("complete"), "submitted": _("sent for approval"), "approved": _("approved"),
    "declined": _("declined by the checker"), "rejected": _("rejected"), "cancelled": _("withdrawn by the owner"),
    "executed": _("executed"), "paid": _("paid"), "payment_result": _("the bank's answer on the payment"),
    "payment_reissued": _("a rejected payment sent again"),
}


@register.filter
def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))


@register.filter
def document_name(code: str, documents) -> str:
    """The name of the checklist document `code` among the request's `documents`, in the page's language."""
    for document in documents:
        if document.code == code:
            return type_name(document)
    return code


SENT_LABELS = {"letter": _("letter"), "sms": _("SMS"), "email": _("e-mail")}


@register.filter
def sent_by(sent) -> str:
    """How the owner was told of an event (its `data.sent`): "letter, SMS" (信函、短訊); empty when nobody was."""
    if not isinstance(sent, dict):
        return ""
    return (", " if _english() else "、").join(str(label) for channel, label in SENT_LABELS.items() if sent.get(channel))


@register.filter
def system_actor(name: str) -> str:
    """A program named in the request's history (`run-daily`, `generator`…) in the page's language."""
    return system_actor_label(name) if name else ""
