"""What parties holds about a customer, for the PIPL data export (`core.privacy`): the party with its contacts
and addresses, consents, relationships, segments, and the audit trail of their record (reveals of their ID number too)."""
from __future__ import annotations

from typing import Any

from lifecrm.core.models import AuditEvent
from lifecrm.core.privacy import register_personal_data
from lifecrm.parties.models import Consent, Customer, CustomerSegment, Relationship

# Internal search keys and digests are derived from the fields exported; they are not the person's data.
NOT_EXPORTED = {"name_search", "name_folded", "address_folded", "id_number_digest", "branch_path"}


@register_personal_data("customer")
def customer_section(customer_id: int) -> list[dict[str, Any]]:
    customer = Customer.objects.select_related("branch", "servicing_agent").get(pk=customer_id)
    row = {f.attname: getattr(customer, f.attname) for f in Customer._meta.concrete_fields
           if f.attname not in NOT_EXPORTED}
    row["branch"] = customer.branch.name
    row["servicing_agent"] = customer.servicing_agent.name if customer.servicing_agent else None
    return [row]


@register_personal_data("consents")
def consents_section(customer_id: int) -> list[dict[str, Any]]:
    return list(Consent.objects.filter(customer_id=customer_id).order_by("at", "pk")
                .values("purpose", "granted", "at", "source"))


@register_personal_data("relationships")
def relationships_section(customer_id: int) -> list[dict[str, Any]]:
    """Links to other customers by their customer number only (the other person's name is theirs)."""
    out = [{"direction": "from", "kind": r.kind, "other_customer": r.to_customer.number, "since": r.since}
           for r in Relationship.objects.filter(from_customer_id=customer_id).select_related("to_customer")]
    out += [{"direction": "to", "kind": r.kind, "other_customer": r.from_customer.number, "since": r.since}
            for r in Relationship.objects.filter(to_customer_id=customer_id).select_related("from_customer")]
    return out


@register_personal_data("segments")
def segments_section(customer_id: int) -> list[dict[str, Any]]:
    """The tiers and life-cycle stages the customer was placed in, with the reasons (PIPL Art. 24: automated
    decisions are explained)."""
    return list(CustomerSegment.objects.filter(customer_id=customer_id).order_by("valid_from")
                .values("tier", "stage", "valid_from", "valid_to", "reasons"))


@register_personal_data("audit_trail")
def audit_section(customer_id: int) -> list[dict[str, Any]]:
    """Who created, changed or revealed the customer's record (reveals name the field and purpose, no value)."""
    return [{"at": e.at, "action": e.action, "field": e.field, "purpose": e.purpose,
             "by": e.actor.get_username() if e.actor else None}
            for e in AuditEvent.objects.filter(object_type="parties.customer", object_id=str(customer_id))
            .select_related("actor").order_by("at", "pk")]
