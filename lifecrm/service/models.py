"""What the service desk keeps: interactions on every channel, cases and their append-only event log."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lifecrm.org.rules import ScopeFields
from lifecrm.parties.models import CustomerSegment
from lifecrm.service.care_rules import FESTIVALS, OFFSET_AFTER, OFFSET_BEFORE, CareAction, Occasion
from lifecrm.service.rules import CaseEventKind, CaseStatus, Channel, Direction, Priority

CHANNEL_CHOICES = [
    (Channel.CALL.value, _("phone call")),
    (Channel.WEB.value, _("web message")),
    (Channel.PORTAL.value, _("portal message")),
    (Channel.AGENT_VISIT.value, _("agent visit")),
    (Channel.COUNTER.value, _("counter visit")),
    (Channel.LETTER.value, _("letter")),
    (Channel.SMS.value, _("SMS")),
    (Channel.EMAIL.value, _("e-mail")),
]
DIRECTION_CHOICES = [(Direction.INBOUND.value, _("inbound")), (Direction.OUTBOUND.value, _("outbound"))]
PRIORITY_CHOICES = [
    (Priority.URGENT.value, _("urgent")),
    (Priority.HIGH.value, _("high")),
    (Priority.NORMAL.value, _("normal")),
    (Priority.LOW.value, _("low")),
]
STATUS_CHOICES = [
    (CaseStatus.NEW.value, _("new")),
    (CaseStatus.OPEN.value, _("open")),
    (CaseStatus.WAITING.value, _("waiting for the customer")),
    (CaseStatus.RESOLVED.value, _("resolved")),
    (CaseStatus.CLOSED.value, _("closed")),
    (CaseStatus.CANCELLED.value, _("cancelled")),
]
EVENT_CHOICES = [
    (CaseEventKind.OPENED.value, _("opened")),
    (CaseEventKind.ASSIGNED.value, _("assigned")),
    (CaseEventKind.RESPONDED.value, _("answered the customer")),
    (CaseEventKind.NOTE.value, _("internal note")),
    (CaseEventKind.WAITING.value, _("waiting for the customer")),
    (CaseEventKind.RESUMED.value, _("resumed")),
    (CaseEventKind.PRIORITY_CHANGED.value, _("priority changed")),
    (CaseEventKind.EXTENDED.value, _("deadline extended")),
    (CaseEventKind.RESOLVED.value, _("resolved")),
    (CaseEventKind.REOPENED.value, _("reopened")),
    (CaseEventKind.CLOSED.value, _("closed")),
    (CaseEventKind.CANCELLED.value, _("cancelled")),
    (CaseEventKind.ATTACHMENT.value, _("attachment added")),
]


class Interaction(models.Model):
    """One contact with a customer on any channel, inbound or outbound (a call, a visit, a message, a letter)."""

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("answered")
        FOLLOW_UP = "follow_up", _("follow-up needed")
        CASE_OPENED = "case_opened", _("case opened")
        CALL_BACK = "call_back", _("call back")
        NO_ANSWER = "no_answer", _("no answer")
        SENT = "sent", _("sent")

    customer = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="interactions",
                                 db_index=False)
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    case = models.ForeignKey("service.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="interactions")
    channel = models.CharField(_("channel"), max_length=12, choices=CHANNEL_CHOICES)
    direction = models.CharField(_("direction"), max_length=3, choices=DIRECTION_CHOICES)
    subject = models.CharField(_("subject"), max_length=200)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    staff = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    occurred_at = models.DateTimeField(_("when"))
    recorded_at = models.DateTimeField(_("recorded at"))
    # The customer's unit and agent when it was recorded: the interaction's data scope, with no join.
    branch_path = models.CharField(max_length=200, editable=False)
    agent = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)

    SCOPE_FIELDS = ScopeFields(path="branch_path", agent="agent_id")

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="interaction_customer_at_idx"),
            models.Index(fields=["staff", "-occurred_at"], name="interaction_staff_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d %H:%M}: {self.subject}"


class CaseType(models.Model):
    """A kind of case (inquiry, request, complaint, emergency assistance; HQ may add more): reference data."""

    code = models.SlugField(_("code"), max_length=20, primary_key=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    default_priority = models.PositiveSmallIntegerField(_("default priority"), choices=PRIORITY_CHOICES,
                                                        default=Priority.NORMAL.value)
    prefix = models.CharField(_("number prefix"), max_length=2, help_text=_("The case numbers' first letters."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("case type")
        verbose_name_plural = _("case types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_en


class CaseCategory(models.Model):
    """What a case is about, within its type (a premium question, a claim complaint…): routing reads it."""

    code = models.SlugField(_("code"), max_length=30, primary_key=True)
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="categories")
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["case_type", "code"]

    def __str__(self) -> str:
        return self.name_en


class Queue(models.Model):
    """Where routing puts a new case before a person takes it (a team's inbox)."""

    code = models.SlugField(_("code"), max_length=30, primary_key=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    org_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_en


class Case(models.Model):
    """A customer's inquiry, request, complaint or emergency: who has it, where it stands, its deadlines.

    Its history is the append-only `CaseEvent` log; `status`, `priority` and the deadlines here are what that
    log says now (the SLA deadlines are a cache of `service.sla`)."""

    number = models.CharField(_("case number"), max_length=16, unique=True)
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="cases", verbose_name=_("type"))
    category = models.ForeignKey(CaseCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("category"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=PRIORITY_CHOICES)
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES, default=CaseStatus.NEW.value)
    customer = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="cases", db_index=False)
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, related_name="+", db_index=False)
    channel = models.CharField(_("received through"), max_length=12, choices=CHANNEL_CHOICES)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    # For a complaint: the staff member it names (never its handler).
    about_staff = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("staff member complained about"))
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, null=True, blank=True, related_name="cases")
    assignee = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="assigned_cases", verbose_name=_("handler"))
    effort = models.PositiveSmallIntegerField(_("effort"), default=1,
                                              help_text=_("Weight of the case in its handler's load."))
    opened_at = models.DateTimeField(_("opened at"))
    first_responded_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # SLA deadlines: a cache of what `service.sla` computes from the event log.
    response_due = models.DateTimeField(_("first answer due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    opened_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The customer's unit and agent when it was opened: the case's data scope, with no join.
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", db_index=False)
    branch_path = models.CharField(max_length=200, editable=False)
    agent = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)

    SCOPE_FIELDS = ScopeFields(path="branch_path", agent="agent_id")

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(priority__range=(1, 4)), name="case_priority_1_to_4"),
            models.CheckConstraint(
                condition=models.Q(assignee__isnull=True) | models.Q(about_staff__isnull=True)
                | ~models.Q(assignee=models.F("about_staff")),
                name="case_handler_not_complained_about",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-opened_at"], name="case_customer_opened_idx"),
            models.Index(fields=["assignee", "status"], name="case_assignee_status_idx"),
            models.Index(fields=["queue", "status"], name="case_queue_status_idx"),
            models.Index(fields=["status", "resolution_due"], name="case_status_due_idx"),
            models.Index(fields=["branch_path", "status"], name="case_branch_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in {CaseStatus.NEW.value, CaseStatus.OPEN.value, CaseStatus.WAITING.value}


class CaseEvent(models.Model):
    """One entry of a case's append-only log (`seq` from 1, unique per case): what happened, when, who."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    kind = models.CharField(_("what"), max_length=20, choices=EVENT_CHOICES)
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    system_actor = models.CharField(max_length=60, blank=True)
    note = models.TextField(_("note"), max_length=5000, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq_uniq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.kind}"


# care events

CARE_OCCASION_CHOICES = [
    (Occasion.BIRTHDAY.value, pgettext_lazy("care", "birthday")),
    (Occasion.ANNIVERSARY.value, pgettext_lazy("care", "policy anniversary")),
    (Occasion.MATURITY.value, pgettext_lazy("care", "coming maturity")),
    (Occasion.COMPLAINT_FOLLOW_UP.value, pgettext_lazy("care", "follow-up after a complaint")),
    (Occasion.CLAIM_FOLLOW_UP.value, pgettext_lazy("care", "follow-up after a claim")),
    (Occasion.FESTIVAL.value, pgettext_lazy("care", "festival greeting")),
]
CARE_ACTION_CHOICES = [
    (CareAction.GREETING.value, pgettext_lazy("care", "greeting on the preferred channel")),
    (CareAction.CARD.value, pgettext_lazy("care", "card (letter)")),
    (CareAction.SMS.value, pgettext_lazy("care", "SMS")),
    (CareAction.EMAIL.value, pgettext_lazy("care", "e-mail")),
    (CareAction.CALL.value, pgettext_lazy("care", "call")),
    (CareAction.VISIT.value, pgettext_lazy("care", "agent visit")),
    (CareAction.GIFT.value, pgettext_lazy("care", "gift")),
]


class CareRule(models.Model):
    """What customers of a tier receive on an occasion (one row per action): reference data HQ edits.

    `offset_days`: a coming maturity is marked that many days before the maturity date, a follow-up that many
    days after the complaint or claim closed. `festival`: empty for every festival the customer's jurisdiction
    greets (`data/care_rules.json`), else that festival only."""

    occasion = models.CharField(pgettext_lazy("care", "occasion"), max_length=20, choices=CARE_OCCASION_CHOICES)
    tier = models.CharField(pgettext_lazy("care", "tier"), max_length=16, choices=CustomerSegment.Tier.choices)
    action = models.CharField(pgettext_lazy("care", "what is done"), max_length=10, choices=CARE_ACTION_CHOICES)
    offset_days = models.PositiveSmallIntegerField(pgettext_lazy("care", "days before or after"), default=0)
    festival = models.CharField(pgettext_lazy("care", "festival"), max_length=20, blank=True)
    is_active = models.BooleanField(pgettext_lazy("care", "active"), default=True)

    class Meta:
        verbose_name = _("care rule")
        verbose_name_plural = _("care rules")
        ordering = ["occasion", "tier", "action"]
        constraints = [models.UniqueConstraint(fields=["occasion", "tier", "action", "festival"],
                                               name="care_rule_uniq")]

    def __str__(self) -> str:
        return f"{self.occasion}/{self.tier}: {self.action}"

    def clean(self) -> None:
        if self.festival and (self.occasion != Occasion.FESTIVAL or self.festival not in FESTIVALS):
            raise ValidationError({"festival": _("Name a festival only for a festival greeting, one of: %(codes)s.")
                                   % {"codes": ", ".join(sorted(FESTIVALS))}})
        if self.offset_days and self.occasion not in OFFSET_BEFORE | OFFSET_AFTER:
            raise ValidationError({"offset_days": _("Only a coming maturity or a follow-up is marked days before "
                                                    "or after its event: leave 0.")})


class CareEvent(models.Model):
    """One care event for one customer: a message (planned, then sent or skipped) or a task for a person (open,
    then done or cancelled). `key` is its natural key (customer, occasion, day, policy or reference, action) and
    its message's key: a rerun or a resumed run never makes a second row, nor sends a second message."""

    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("care", "planned")
        SENT = "sent", pgettext_lazy("care", "sent")
        SKIPPED = "skipped", pgettext_lazy("care", "not sent")
        FAILED = "failed", pgettext_lazy("care", "failed")
        OPEN = "open", pgettext_lazy("care", "to do")
        DONE = "done", pgettext_lazy("care", "done")
        CANCELLED = "cancelled", pgettext_lazy("care", "cancelled")

    key = models.CharField(max_length=150, editable=False)
    customer = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="+", db_index=False)
    occasion = models.CharField(pgettext_lazy("care", "occasion"), max_length=20, choices=CARE_OCCASION_CHOICES)
    occasion_date = models.DateField(pgettext_lazy("care", "date"))
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reference = models.CharField(pgettext_lazy("care", "reference"), max_length=40, blank=True)  # festival, case number, claim
    action = models.CharField(pgettext_lazy("care", "what is done"), max_length=10, choices=CARE_ACTION_CHOICES)
    channel = models.CharField(pgettext_lazy("care", "channel"), max_length=12, blank=True)  # sms, email, letter; empty for a task
    tier = models.CharField(pgettext_lazy("care", "tier"), max_length=16)
    language = models.CharField(pgettext_lazy("care", "language"), max_length=10)
    status = models.CharField(pgettext_lazy("care", "status"), max_length=10, choices=Status.choices)
    send_after = models.DateTimeField(pgettext_lazy("care", "not before"), null=True, blank=True)
    recipient = models.CharField(pgettext_lazy("care", "recipient"), max_length=200, blank=True)
    sent_at = models.DateTimeField(pgettext_lazy("care", "sent at"), null=True, blank=True)
    detail = models.CharField(pgettext_lazy("care", "detail"), max_length=300, blank=True)
    letter = models.ForeignKey("notifications.Letter", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    assignee = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=pgettext_lazy("care", "for"))
    done_at = models.DateTimeField(pgettext_lazy("care", "done at"), null=True, blank=True)
    done_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_on = models.DateField(pgettext_lazy("care", "created on"))
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, related_name="+", db_index=False)
    branch_path = models.CharField(max_length=200, editable=False)
    agent = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)

    SCOPE_FIELDS = ScopeFields(path="branch_path", agent="agent_id")

    class Meta:
        verbose_name = _("care event")
        verbose_name_plural = _("care events")
        ordering = ["-occasion_date", "-id"]
        constraints = [models.UniqueConstraint(fields=["key"], name="care_event_key_uniq")]
        indexes = [
            models.Index(fields=["customer", "-occasion_date"], name="care_customer_date_idx"),
            models.Index(fields=["status", "send_after"], name="care_status_send_idx"),
            models.Index(fields=["assignee", "status"], name="care_assignee_status_idx"),
        ]

    def __str__(self) -> str:
        return self.key
