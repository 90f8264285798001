"""What the policy owner is told about a request: the missing-items notice, and the confirmation when it is executed
or rejected (by the processor or the checker).

Each goes through `notifications`, in the owner's language (zh-Hant, zh-Hans, English), in the transaction of the
service that decided it (a rolled-back decision tells nobody): a letter (its print file, `notifications.Letter`,
printed to PDF by `notifications.letters`) to the postal address, and an SMS or e-mail through the outbox on the
owner's preferred channel. Every message has an idempotency key made of the request number and the notice, so a
service run again sends nothing twice.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from functools import cache

import opencc

from lifecrm.notifications import contacts, content, letters
from lifecrm.notifications import services as outbox
from lifecrm.notifications.models import Letter
from lifecrm.servicing.models import ServiceRequest

OUTBOX_APP = "servicing"
MESSAGES = "servicing/messages/"


class Notice(StrEnum):
    MISSING_ITEMS = "missing_items"
    EXECUTED = "executed"
    REJECTED = "rejected"


@cache
def _simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def localised_name(row, language: str) -> str:
    """A request type's or document's name (the catalogue keeps Traditional Chinese and English) in `language`."""
    name, name_en = (row.get("name", ""), row.get("name_en", "")) if isinstance(row, dict) else (row.name,
                                                                                                    row.name_en)
    if language == "en":
        return name_en or name
    return _simplified().convert(name) if language == "zh-hans" else name


def message_key(request: ServiceRequest, notice: Notice, channel: str) -> str:
    """The idempotency key of one notice of a request on one channel (letter, SMS or e-mail)."""
    return f"servicing-{request.number}-{notice.value}-{channel}"


def notice_send(request: ServiceRequest, notice: Notice, *, as_of: date, at: datetime, missing: list[str] = ()
                ) -> dict:
    """Record `notice` for the request's owner: the letter, and an SMS or e-mail when the owner prefers one and can
    be reached on it. Returns what was recorded (for the request's event log); a key recorded before is not
    recorded again."""
    customer = request.customer
    language = content.language_for(customer, request.jurisdiction_id)
    documents = {d.code: d for d in request.documents.all()}
    context = {
        "company": content.company_name(language), "salutation": content.salutation(customer, language),
        "number": request.number, "policy": request.policy.number,
        "request_type": localised_name(request.request_type, language),
        "received_on": content.format_date(request.received_on, language),
        "today": content.format_date(as_of, language), "reason": request.reason,
        "missing": [localised_name(documents[code], language) if code in documents else code for code in missing],
    }
    name = MESSAGES + notice.value
    sent: dict = {"notice": notice.value, "language": language}
    address = contacts.contact_detail(customer, contacts.LETTER)
    if address:
        message = content.render(names=[name], language=language, context=context, parts=content.WRITTEN)
        key = message_key(request, notice, contacts.LETTER)
        Letter.objects.get_or_create(key=key, defaults={"recorded_on": as_of, "html": letters.letter_html(
            message=message, recipient=content.salutation(customer, language), address=address,
            postcode=customer.postcode, posted_on=as_of, company=content.company_name(language))})
        sent["letter"] = key
    route = contacts.route_for(customer, "preferred")
    if route is not None and route.channel != contacts.LETTER:
        parts = ("sms",) if route.channel == contacts.SMS else content.WRITTEN
        message = content.render(names=[name], language=language, context=context, parts=parts)
        key = message_key(request, notice, route.channel)
        outbox.message_queue(app=OUTBOX_APP, key=key, channel=route.channel, address=route.address,
                             language=language, subject=message.subject if route.channel == contacts.EMAIL else "",
                             body=message.sms if route.channel == contacts.SMS else message.body, template=name,
                             customer_id=customer.pk, jurisdiction=request.jurisdiction_id, at=at)
        sent[route.channel] = key
    return sent
