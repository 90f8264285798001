"""Customers (persons and organisations), their consents and their relationships."""
from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lifecrm.core.fields import EncryptedTextField
from lifecrm.core.indexes import CodePointOrder, TrigramIndex
from lifecrm.org.rules import ScopeFields


class Customer(models.Model):
    """A person or an organisation (employer) the company has a relationship with."""

    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        ORGANISATION = "organisation", _("organisation")

    class Sex(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    class IdType(models.TextChoices):
        PRC_ID = "prc_id", _("PRC resident ID card")
        HK_ID = "hk_id", _("Hong Kong identity card")
        TW_ID = "tw_id", _("Taiwan national ID")
        PASSPORT = "passport", _("passport")
        USCC = "uscc", _("unified social credit code")

    class Language(models.TextChoices):
        ZH_HANT = "zh-hant", _("Traditional Chinese")
        ZH_HANS = "zh-hans", _("Simplified Chinese")
        EN = "en", _("English")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("e-mail")
        LETTER = "letter", _("letter")
        PHONE = "phone", _("phone")
        PORTAL = "portal", _("web portal")

    # Exact-match keys are unique constraints and indexes of Meta, not unique=/db_index=: on PostgreSQL a
    # CharField's unique= or db_index= adds a second, varchar_pattern_ops index for LIKE, which nothing
    # runs on these (a third of the seed's index builds of this table).
    number = models.CharField(_("customer number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PERSON)
    # Searched through name_folded, never by itself: no index of its own.
    name = models.CharField(_("name"), max_length=100)
    name_romanised = models.CharField(_("romanised name"), max_length=120, blank=True)
    # Lower-cased romanised name without spaces, for search: "zhangwei" (indexed in Meta).
    name_search = models.CharField(max_length=120, blank=True, editable=False)
    # The name and the address as a search compares them (parties.search_keys.search_form): one script
    # (張 and 张 are both 张), lower case, no spaces. Written with the name and the address by the services
    # and the generator. Text, not varchar: NFKC may lengthen a text (㍿ is 株式会社).
    name_folded = models.TextField(blank=True, default="", editable=False)
    address_folded = models.TextField(blank=True, default="", editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    date_of_death = models.DateField(_("date of death"), null=True, blank=True)
    id_type = models.CharField(_("ID type"), max_length=10, choices=IdType.choices)
    id_number = EncryptedTextField(_("ID number"))
    id_number_digest = models.CharField(max_length=64, editable=False)
    id_number_last4 = models.CharField(max_length=4, editable=False)
    mobile_phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    home_phone = models.CharField(_("home phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    # db_index=False: a handful of jurisdictions, never looked up through the customers
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, default="CN", db_index=False)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=8, choices=Channel.choices, default=Channel.SMS
    )
    occupation_class = models.PositiveSmallIntegerField(_("occupation class"), null=True, blank=True)
    occupation = models.CharField(_("occupation"), max_length=60, blank=True)
    employer = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="employees",
        limit_choices_to={"kind": "organisation"},
    )
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="customers")
    servicing_agent = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="book"
    )
    # The branch's materialised path, copied here so a scope filter needs no join.
    branch_path = models.CharField(max_length=200, db_index=True, editable=False)
    created_at = models.DateTimeField(_("customer since"))
    # PIPL: the day the former customer's identifying data was overwritten (parties.services.customer_anonymise).
    anonymised_on = models.DateField(_("anonymised on"), null=True, blank=True, editable=False)

    SCOPE_FIELDS = ScopeFields(path="branch_path", agent="servicing_agent_id")

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="customer_number_uniq"),
            models.CheckConstraint(
                condition=models.Q(kind="organisation") | models.Q(birth_date__isnull=False),
                name="person_has_birth_date",
            ),
            models.CheckConstraint(
                condition=models.Q(occupation_class__isnull=True) | models.Q(occupation_class__range=(1, 6)),
                name="occupation_class_1_to_6",
            ),
        ]
        indexes = [
            models.Index(fields=["mobile_phone"], name="customer_mobile_phone_idx"),
            models.Index(fields=["home_phone"], name="customer_home_phone_idx"),
            models.Index(fields=["id_number_digest"], name="customer_id_digest_idx"),
            # A name prefix, in code point order (core.indexes.starts_with), read in the order a result list
            # shows it, a page at a time. The scope's columns close the key (not INCLUDE: SQLite has none), so
            # that counting the matches in any scope reads the index alone.
            models.Index(CodePointOrder("name_folded"), "number", "branch_path", "servicing_agent",
                         name="customer_name_folded_idx"),
            models.Index(CodePointOrder("name_search"), "number", "branch_path", "servicing_agent",
                         name="customer_name_search_idx"),
            # Any part of the address (LIKE '%弥敦道%'), through trigrams on PostgreSQL.
            TrigramIndex(fields=["address_folded"], name="customer_address_folded_idx"),
            models.Index(Lower("email"), name="customer_email_lower_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class Consent(models.Model):
    """A consent given or withdrawn for one purpose; the latest row per purpose is in force (append-only)."""

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("marketing")
        SENSITIVE_DATA = "sensitive_data", _("processing of sensitive data")
        THIRD_PARTY = "third_party", _("sharing with partners")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="consents", db_index=False)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    at = models.DateTimeField(_("at"))
    source = models.CharField(_("source"), max_length=20, choices=Customer.Channel.choices + [
        ("counter", _("counter")), ("agent", _("sales agent")), ("application", _("application form")),
    ])
    recorded_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["customer", "purpose", "-at"]
        indexes = [models.Index(fields=["customer", "purpose", "at"], name="consent_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.purpose} {'yes' if self.granted else 'no'} {self.at:%Y-%m-%d}"


class Relationship(models.Model):
    """A directed relationship: `from_customer` is the `kind` of `to_customer` (A is spouse of B…)."""

    class Kind(models.TextChoices):
        SPOUSE = "spouse", _("spouse of")
        PARENT = "parent", _("parent of")
        EMPLOYER = "employer", _("employer of")
        REFERRER = "referrer", _("referred")

    from_customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="relationships_out", db_index=False
    )
    to_customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="relationships_in")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.UniqueConstraint(fields=["from_customer", "to_customer", "kind"], name="uniq_relationship"),
            models.CheckConstraint(condition=~models.Q(from_customer=models.F("to_customer")), name="no_self_relationship"),
        ]

    def __str__(self) -> str:
        return f"{self.from_customer_id} {self.kind} {self.to_customer_id}"


class CustomerSegment(models.Model):
    """A customer's service tier and life-cycle stage over a span of days (`valid_from` to `valid_to`, exclusive;
    open: the current row). The value engine writes them through `parties.services.segments_record`: a change
    closes the current row and opens a new one, so every change is kept and the segment on any day, and the
    migration between two days, is a query. `reasons` says why (the figures and rules behind each)."""

    class Tier(models.TextChoices):
        DIAMOND = "diamond", pgettext_lazy("customer tier", "diamond")
        GOLD = "gold", pgettext_lazy("customer tier", "gold")
        SILVER = "silver", pgettext_lazy("customer tier", "silver")
        STANDARD = "standard", pgettext_lazy("customer tier", "standard")

    class Stage(models.TextChoices):
        PROSPECT = "prospect", pgettext_lazy("customer stage", "prospect")
        NEW = "new", pgettext_lazy("customer stage", "new")
        GROWING = "growing", pgettext_lazy("customer stage", "growing")
        MATURE = "mature", pgettext_lazy("customer stage", "mature")
        AT_RISK = "at_risk", pgettext_lazy("customer stage", "at risk")
        LAPSED = "lapsed", pgettext_lazy("customer stage", "lapsed")
        WON_BACK = "won_back", pgettext_lazy("customer stage", "won back")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="segments", db_index=False)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
    stage = models.CharField(_("life-cycle stage"), max_length=16, choices=Stage.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    confirmed_on = models.DateField(_("last confirmed on"))  # the latest as-of day that found this tier and stage
    reasons = models.JSONField(_("reasons"), default=dict, blank=True)
    set_by = models.CharField(_("set by"), max_length=100)

    class Meta:
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")
        ordering = ["customer", "valid_from"]
        indexes = [models.Index(fields=["customer", "valid_from"], name="segment_customer_idx"),
                   models.Index(fields=["valid_from", "valid_to"], name="segment_span_idx")]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=models.Q(valid_to__isnull=True),
                                    name="one_current_segment"),
            models.CheckConstraint(condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                                   name="segment_span_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.tier}/{self.stage} from {self.valid_from}"


class Entitlement(models.Model):
    """What a customer of a tier (and, where a row names one, a life-cycle stage) is entitled to: data head office
    maintains (issue 15 §5). Billing, the service desk, servicing and claims read it through
    `parties.selectors.customer_entitlements`; a row for a stage overrides the tier's row for any stage."""

    tier = models.CharField(_("tier"), max_length=16, choices=CustomerSegment.Tier.choices)
    stage = models.CharField(_("life-cycle stage"), max_length=16, choices=CustomerSegment.Stage.choices, blank=True,
                             help_text=_("Empty: every stage of the tier without a row of its own."))
    reminder_ladder = models.CharField(_("reminder ladder"), max_length=20,
                                       help_text=_("The customer tier of the dunning plan that reminds them."))
    routing_priority = models.PositiveSmallIntegerField(_("routing priority"), help_text=_("1 is served first."))
    sla_multiplier = models.DecimalField(_("SLA multiplier"), max_digits=4, decimal_places=2,
                                         help_text=_("Service-level targets times this (0.50: twice as fast)."))
    dedicated_manager = models.BooleanField(_("dedicated service manager"), default=False)
    # What a tier receives on each occasion (a card, a call, a visit, a gift) is the service desk's `CareRule`
    # (service/data/care_rules.json): one source of truth, read by the value API per tier.
    gifts = models.JSONField(_("gifts"), default=list, blank=True)
    fee_waivers = models.JSONField(_("fee waivers"), default=list, blank=True)

    class Meta:
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        ordering = ["routing_priority", "tier", "stage"]
        constraints = [models.UniqueConstraint(fields=["tier", "stage"], name="one_entitlement_per_tier_stage"),
                       models.CheckConstraint(condition=models.Q(sla_multiplier__gt=0), name="sla_multiplier_positive")]

    def __str__(self) -> str:
        return f"{self.tier}/{self.stage or '*'}"
