"""Which channel a message really goes by: the customer's preference, then fallbacks when a detail is missing."""
from __future__ import annotations

from dataclasses import dataclass

SMS, EMAIL, LETTER = "sms", "email", "letter"
# Customer.preferred_channel → the message channel that serves it (a phone or portal preference gets
# the closest written channel; phone calls are separate ladder steps).
PREFERRED = {"sms": SMS, "email": EMAIL, "letter": LETTER, "phone": SMS, "portal": EMAIL}
FALLBACKS = {SMS: (SMS, EMAIL, LETTER), EMAIL: (EMAIL, SMS, LETTER), LETTER: (LETTER, SMS, EMAIL)}
# Demands and suspension notices: written proof of dispatch inside the recording transaction, so
# letter or SMS only (e-mail is sent after commit and may still fail).
LEGAL_FALLBACKS = {SMS: (SMS, LETTER), EMAIL: (LETTER, SMS), LETTER: (LETTER, SMS)}


@dataclass(frozen=True)
class Route:
    channel: str
    address: str
    fallback: bool  # True when the first-choice channel lacked its contact detail


def contact_detail(customer, channel: str) -> str:
    if channel == SMS:
        return customer.mobile_phone.strip()
    if channel == EMAIL:
        return customer.email.strip()
    if channel == LETTER:
        return customer.address.strip()
    raise ValueError(f"{channel!r} is not a message channel")


def route_for(customer, wanted: str, *, legal: bool = False) -> Route | None:
    """The first channel of the fallback chain of `wanted` ('preferred' or a channel) the customer can be
    reached on; None when there is none."""
    first = PREFERRED.get(customer.preferred_channel, SMS) if wanted == "preferred" else wanted
    chain = (LEGAL_FALLBACKS if legal else FALLBACKS)[first]
    for channel in chain:
        address = contact_detail(customer, channel)
        if address:
            return Route(channel, address, channel != first)
    return None
