"""Writes of customers: create, contact changes, consent, relationships, and the audited reveal of the ID number."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from lifecrm.core.fields import keyed_hash
from lifecrm.core.masking import mask_phone
from lifecrm.core.registries import (
    consent_listeners,
    register_path_copy,
    rewrite_path_prefix,
    segment_listeners,
)
from lifecrm.core.services import Refused, audit_record, audit_record_many, audit_reveal
from lifecrm.org.access import Action, acting_scope, authorize, require
from lifecrm.org.rules import may_reveal_id
from lifecrm.parties.models import Consent, Customer, CustomerSegment, Relationship
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
    authorize(actor, Action.CHANGE_CUSTOMER, customer)  # the role, and the new customer's branch in its scope
    customer.name_search = romanised_search_key(customer.name_romanised)
    customer.name_folded = search_form(customer.name)
    customer.address_folded = search_form(customer.address)
    customer.full_clean()
    customer.save()
    audit_record(actor=actor, action="create", object_type="parties.customer", object_id=customer.pk,
                 after={"number": number})
    return customer


CONTACT_FIELDS = ("mobile_phone", "email", "address", "postcode")


class ContactChangeRefused(Refused):
    """A contact change that cannot be made as given; `field` names the detail."""


def contact_changes_clean(changes: dict) -> dict[str, str]:
    """The details given (empty ones dropped), checked and in stored form (a phone as digits); else refused."""
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ContactChangeRefused(_("Only the mobile phone, e-mail, address and postcode can be changed here."),
                                   field=sorted(unknown)[0])
    cleaned = {name: str(value).strip() for name, value in changes.items() if str(value or "").strip()}
    if not cleaned:
        raise ContactChangeRefused(_("Enter the new phone number, e-mail or address."), field="address")
    if "mobile_phone" in cleaned:
        cleaned["mobile_phone"] = normalise_phone(cleaned["mobile_phone"])
        if not 6 <= len(cleaned["mobile_phone"].lstrip("+")) <= 15:
            raise ContactChangeRefused(_("Give a phone number of 6 to 15 digits."), field="mobile_phone")
    if "email" in cleaned:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            raise ContactChangeRefused(_("Give an e-mail address such as name@example.com."), field="email") from None
    limits = {name: Customer._meta.get_field(name).max_length for name in CONTACT_FIELDS}
    for name, value in cleaned.items():
        if len(value) > limits[name]:
            raise ContactChangeRefused(_("This is too long (at most %(n)s characters).") % {"n": limits[name]},
                                       field=name)
    return cleaned


def _audit_form(name: str, value: str) -> str:
    """What the audit trail keeps of a contact detail: a phone number masked, the others as they are."""
    return mask_phone(value) if name == "mobile_phone" and value else value


@transaction.atomic
def contact_change(*, actor, customer: Customer, changes: dict, as_of: date) -> Customer:
    """Change a customer's mobile phone, e-mail, postal address or postcode (the ones given) on `as_of`; what a
    search compares follows; the old and new details are audited (a phone masked). Nothing changed is refused."""
    authorize(actor, Action.CHANGE_CUSTOMER, customer)
    cleaned = contact_changes_clean(changes)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    changed = {name: value for name, value in cleaned.items() if getattr(customer, name) != value}
    if not changed:
        raise ContactChangeRefused(_("These are already the customer's details."), field=next(iter(cleaned)))
    before = {name: _audit_form(name, getattr(customer, name)) for name in changed}
    for name, value in changed.items():
        setattr(customer, name, value)
    if "address" in changed:
        customer.address_folded = search_form(customer.address)
    customer.save(update_fields=[*changed, *(["address_folded"] if "address" in changed else [])])
    audit_record(actor=actor, action="update", object_type="parties.customer", object_id=customer.pk,
                 before=before, after={name: _audit_form(name, value) for name, value in changed.items()}
                 | {"as_of": as_of.isoformat()})
    return customer


def id_number_error(exc: InvalidIdNumber) -> str:
    """The rule's message in the user's language (the catalogues hold parties.rules' messages)."""
    message = gettext(exc.template)
    return message % exc.params if exc.params else message


@transaction.atomic
def consent_record(*, actor, customer: Customer, purpose: str, granted: bool, at: datetime, source: str,
                   recorded_by=None) -> Consent:
    """Append a consent (or its withdrawal); the latest row per purpose is the one in force. A withdrawal is heard
    by the apps that relied on the consent (`core.registries.register_consent_listener`), in this transaction."""
    authorize(actor, Action.CHANGE_CUSTOMER, customer)
    consent = Consent(customer=customer, purpose=purpose, granted=granted, at=at, source=source,
                      recorded_by=recorded_by)
    consent.full_clean()
    consent.save()
    audit_record(actor=actor, action="create", object_type="parties.consent", object_id=consent.pk,
                 after={"customer": customer.pk, "purpose": purpose, "granted": granted})
    if not granted:  # the apps that relied on it stop (`core.registries.register_consent_listener`)
        for listener in consent_listeners().values():
            listener(actor=actor, customer_id=customer.pk, purpose=purpose, at=at)
    return consent


@transaction.atomic
def relationship_add(*, actor, from_customer: Customer, to_customer: Customer, kind: str,
                     since: date | None = None) -> Relationship:
    """Relate two customers; the actor sees both."""
    authorize(actor, Action.CHANGE_CUSTOMER, from_customer)
    authorize(actor, Action.CHANGE_CUSTOMER, to_customer)
    relationship = Relationship(from_customer=from_customer, to_customer=to_customer, kind=kind, since=since)
    relationship.full_clean()
    relationship.save()
    audit_record(actor=actor, action="create", object_type="parties.relationship", object_id=relationship.pk,
                 after={"from": from_customer.pk, "to": to_customer.pk, "kind": kind})
    return relationship


def customer_reveal_id_number(*, actor, customer: Customer, purpose: str) -> str:
    """The full ID number, for a role allowed to see it and a customer in the actor's own scope; the reveal is
    audited with its purpose."""
    scope = acting_scope(actor)
    if not may_reveal_id(scope):
        raise RevealRefused("your role may not see full identity numbers")
    require(scope, Action.REVEAL_ID, customer)
    with transaction.atomic():
        audit_reveal(actor=actor, object_type="parties.customer", object_id=customer.pk, field="id_number",
                     purpose=purpose)
    return customer.id_number


# -- PIPL rights: the data export and the anonymisation of a former customer ---------------------------------

RETENTION_RULE = "customer_data_retention"


class AnonymisationRefused(ValueError):
    """Why a customer cannot be anonymised (yet): a message for staff, in their language."""


def customer_data_export(*, actor, customer: Customer, as_of: date) -> bytes:
    """Everything lifecrm holds about `customer` (every app's section, `core.privacy`) as a zip of JSON, for
    head office answering a PIPL access request; the export is audited."""
    from lifecrm.core.privacy import export_zip, personal_data
    require(acting_scope(actor), Action.EXPORT_PERSONAL_DATA, customer)
    sections = personal_data(customer.pk)
    with transaction.atomic():
        audit_record(actor=actor, action="reveal", object_type="parties.customer", object_id=customer.pk,
                     field="personal_data_export", purpose=f"PIPL data export as of {as_of}",
                     after={"sections": {name: len(rows) for name, rows in sections.items()}})
    return export_zip(customer_number=customer.number, sections=sections,
                      meta={"customer_number": customer.number, "as_of": as_of.isoformat(),
                            "exported_by": getattr(actor, "username", None) or "lifecrm"})


def anonymisation_date(customer: Customer, end=None) -> date | None:
    """The first day `customer` may be anonymised: the day after the jurisdiction's customer_data_retention has
    run from the end of their last policy (or from when they were recorded, if they never held one); None while a
    policy has not ended. `end`: the customer's `core.privacy.RelationshipEnd`, if already read."""
    from lifecrm.core.privacy import relationship_end
    from lifecrm.core.selectors import jurisdiction_rule

    end = end or relationship_end(customer.pk)
    if end.active:
        return None
    anchor = end.last_ended_on or customer.created_at.date()
    return jurisdiction_rule(customer.jurisdiction_id, RETENTION_RULE).period.end(anchor) + timedelta(days=1)


def anonymisation_refusal(customer: Customer, as_of: date, end=None) -> str | None:
    """Why `customer` may not be anonymised on `as_of`, or None if they may."""
    from lifecrm.core.selectors import jurisdiction_rule

    if customer.anonymised_on is not None:
        return gettext("This customer was already anonymised on %(date)s.") % {"date": customer.anonymised_on}
    first_day = anonymisation_date(customer, end)
    if first_day is None:
        return gettext("This customer still has a policy that has not ended; their data is kept while it runs.")
    if as_of < first_day:
        rule = jurisdiction_rule(customer.jurisdiction_id, RETENTION_RULE)
        return gettext("The retention period (%(quantity)s %(unit)s, %(source)s) runs until %(end)s; the customer "
                       "may be anonymised from %(first)s.") % {
            "quantity": int(rule.quantity), "unit": rule.unit, "source": rule.source,
            "end": first_day - timedelta(days=1), "first": first_day}
    return None


def customer_anonymise(*, actor, customer: Customer, as_of: date) -> dict[str, int]:
    """Overwrite a former customer's names, ID number, contacts and address with anonymised values, clear the
    digest and search keys, and have every app overwrite what identifies them (`core.privacy`), keeping the
    financial records and their amounts. Refused, with the reason, before the retention period has run.
    Audited (without the values). Returns the rows changed per app."""
    from lifecrm.core.privacy import ANONYMISED_NAME, anonymise_everywhere
    require(acting_scope(actor), Action.ANONYMISE_CUSTOMER, customer)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        refusal = anonymisation_refusal(customer, as_of)
        if refusal:
            raise AnonymisationRefused(refusal)
        changed = anonymise_everywhere(customer.pk, as_of)
        Customer.objects.filter(pk=customer.pk).update(
            name=f"{ANONYMISED_NAME} {customer.number}", name_romanised="", name_search="", name_folded="",
            address_folded="", id_number="", id_number_digest="", id_number_last4="", mobile_phone="",
            home_phone="", email="", address="", postcode="", occupation="", sex="", date_of_death=None,
            # a person keeps a birth date (a constraint, and age bands for the statistics): 1 January of its year
            birth_date=customer.birth_date.replace(month=1, day=1) if customer.birth_date else None,
            anonymised_on=as_of,
        )
        changed["parties.customer"] = 1
        audit_record(actor=actor, action="update", object_type="parties.customer", object_id=customer.pk,
                     purpose=f"PIPL anonymisation as of {as_of}", before={"anonymised_on": None},
                     after={"anonymised_on": as_of.isoformat(), "rows": changed})
    return changed


ANONYMISE_BATCH = 1000


def customers_to_anonymise(*, as_of: date) -> list[Customer]:
    """Former customers who may be anonymised on `as_of` (none is anonymised here: that is a decision). Read a
    batch of customers at a time, with their relationships' ends in a few grouped queries per batch."""
    from lifecrm.core.privacy import relationship_ends

    eligible = []
    candidates = (Customer.objects.filter(anonymised_on__isnull=True).order_by("pk")
                  .only("pk", "number", "jurisdiction", "created_at", "anonymised_on")
                  .iterator(chunk_size=ANONYMISE_BATCH))
    while batch := list(islice(candidates, ANONYMISE_BATCH)):
        ends = relationship_ends([c.pk for c in batch])
        eligible += [c for c in batch if anonymisation_refusal(c, as_of, ends[c.pk]) is None]
    return eligible
@register_path_copy("parties.customer")
def customer_branch_paths_rewrite(*, old_prefix: str, new_prefix: str, chunk_size: int) -> int:
    """An org unit moved (`org.services.org_unit_move`): the copies of its path on customers follow."""
    return rewrite_path_prefix(Customer, "branch_path", old_prefix=old_prefix, new_prefix=new_prefix,
                               chunk_size=chunk_size)


# --- Tiers and life-cycle stages (issue 15 §4) -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Segment:
    """A customer's tier and stage as the value engine finds them on a day, with the reasons behind each."""

    tier: str
    stage: str
    reasons: dict = field(default_factory=dict)


def segments_record(*, actor, as_of: date, segments: dict[int, Segment]) -> int:
    """Write each customer's tier and stage found on `as_of` onto their current segment row: the same tier and
    stage confirm it (its reasons and confirmation day follow), a change closes it on `as_of` and opens a new one
    (a second change on the same day replaces that day's row). Never rewrites history: a day before a customer's
    current row is refused. One transaction; a few queries whatever the number of customers; every change is
    audited, and the apps that follow a segment (`core.registries.register_segment_listener`) hear of the customers
    whose tier or stage changed. Returns the number of customers whose tier or stage changed."""
    authorize(actor, Action.SET_SEGMENT)
    tiers, stages = set(CustomerSegment.Tier.values), set(CustomerSegment.Stage.values)
    for customer_id, segment in segments.items():
        if segment.tier not in tiers or segment.stage not in stages:
            raise ValidationError(gettext("Customer %(id)s: %(tier)s / %(stage)s is not a known tier and stage.")
                                  % {"id": customer_id, "tier": segment.tier, "stage": segment.stage})
    with transaction.atomic():
        current = {row.customer_id: row for row in CustomerSegment.objects.select_for_update()
                   .filter(customer_id__in=list(segments), valid_to__isnull=True)}
        closed, updated, opened, changes = [], [], [], []
        for customer_id, segment in segments.items():
            row = current.get(customer_id)
            if row is not None and row.valid_from > as_of:
                raise ValidationError(gettext("Customer %(id)s has a segment from %(day)s: a segment on %(as_of)s "
                                              "would rewrite its history.")
                                      % {"id": customer_id, "day": row.valid_from, "as_of": as_of})
            same = row is not None and (row.tier, row.stage) == (segment.tier, segment.stage)
            if not same:
                changes.append((customer_id, None if row is None else {"tier": row.tier, "stage": row.stage},
                                {"tier": segment.tier, "stage": segment.stage, "as_of": as_of.isoformat()}))
            if row is not None and (same or row.valid_from == as_of):
                row.tier, row.stage, row.reasons = segment.tier, segment.stage, segment.reasons
                row.confirmed_on = max(row.confirmed_on, as_of)
                updated.append(row)
                continue
            if row is not None:
                row.valid_to = as_of
                closed.append(row)
            opened.append(CustomerSegment(customer_id=customer_id, tier=segment.tier, stage=segment.stage,
                                          valid_from=as_of, confirmed_on=as_of, reasons=segment.reasons,
                                          set_by=str(actor)[:100]))
        CustomerSegment.objects.bulk_update(closed, ["valid_to"])  # before the new rows: one current row each
        CustomerSegment.objects.bulk_update(updated, ["tier", "stage", "reasons", "confirmed_on"])
        CustomerSegment.objects.bulk_create(opened)
        audit_record_many(actor=actor, action="update", object_type="parties.segment", entries=changes)
        if changes:
            for listener in segment_listeners().values():
                listener(customer_ids=[customer_id for customer_id, _before, _after in changes], as_of=as_of)
    return len(changes)
