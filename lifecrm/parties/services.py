"""Writes of customers: create, consent, relationships, and the audited reveal of the ID number."""
from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from lifecrm.core.fields import keyed_hash
from lifecrm.core.services import audit_record, audit_reveal
from lifecrm.org.rules import DataScope, may_reveal_id
from lifecrm.parties.models import Consent, Customer, Relationship
from lifecrm.parties.rules import InvalidIdNumber, normalise_phone, romanised_search_key, validate_id_number
from lifecrm.parties.search_keys import search_form


class RevealRefused(PermissionError):
    pass


@transaction.atomic
def customer_create(*, actor, number: str, name: str, id_type: str, id_number: str, branch, created_at: datetime,
                    kind: str = Customer.Kind.PERSON, birth_date: date | None = None, sex: str = "",
                    mobile_phone: str = "", home_phone: str = "", **fields) -> Customer:
    """A new customer; the ID number is checked by its type's rule (parties.rules), encrypted, and indexed by its
    keyed hash; the phones, name and address are stored with the forms a search compares."""
    try:
        id_number = validate_id_number(id_type, id_number, organisation=kind == Customer.Kind.ORGANISATION,
                                       birth_date=birth_date, sex=sex or None)
    except InvalidIdNumber as exc:
        raise ValidationError({"id_number": id_number_error(exc)}) from exc
    customer = Customer(
        number=number, kind=kind, name=name, id_type=id_type, id_number=id_number,
        id_number_digest=keyed_hash(id_number), id_number_last4=id_number[-4:], branch=branch,
        branch_path=branch.path, birth_date=birth_date, sex=sex, mobile_phone=normalise_phone(mobile_phone),
        home_phone=normalise_phone(home_phone), created_at=created_at, **fields,
    )
    customer.name_search = romanised_search_key(customer.name_romanised)
    customer.name_folded = search_form(customer.name)
    customer.address_folded = search_form(customer.address)
    customer.full_clean()
    customer.save()
    audit_record(actor=actor, action="create", object_type="parties.customer", object_id=customer.pk,
                 after={"number": number})
    return customer


def id_number_error(exc: InvalidIdNumber) -> str:
    """The rule's message in the user's language (the catalogues hold parties.rules' messages)."""
    message = gettext(exc.template)
    return message % exc.params if exc.params else message


@transaction.atomic
def consent_record(*, actor, customer: Customer, purpose: str, granted: bool, at: datetime, source: str,
                   recorded_by=None) -> Consent:
    """Append a consent (or its withdrawal); the latest row per purpose is the one in force."""
    consent = Consent(customer=customer, purpose=purpose, granted=granted, at=at, source=source,
                      recorded_by=recorded_by)
    consent.full_clean()
    consent.save()
    audit_record(actor=actor, action="create", object_type="parties.consent", object_id=consent.pk,
                 after={"customer": customer.pk, "purpose": purpose, "granted": granted})
    return consent


@transaction.atomic
def relationship_add(*, actor, from_customer: Customer, to_customer: Customer, kind: str,
                     since: date | None = None) -> Relationship:
    relationship = Relationship(from_customer=from_customer, to_customer=to_customer, kind=kind, since=since)
    relationship.full_clean()
    relationship.save()
    audit_record(actor=actor, action="create", object_type="parties.relationship", object_id=relationship.pk,
                 after={"from": from_customer.pk, "to": to_customer.pk, "kind": kind})
    return relationship


def customer_reveal_id_number(*, actor, scope: DataScope, customer: Customer, purpose: str) -> str:
    """The full ID number, for a role allowed to see it; the reveal is audited with its purpose."""
    if not may_reveal_id(scope):
        raise RevealRefused("your role may not see full identity numbers")
    with transaction.atomic():
        audit_reveal(actor=actor, object_type="parties.customer", object_id=customer.pk, field="id_number",
                     purpose=purpose)
    return customer.id_number
