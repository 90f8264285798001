"""What the service desk keeps: interactions on every channel, cases and their append-only event log."""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lifecrm.org.rules import ScopeFields
from lifecrm.service.rules import (
    CaseEventKind,
    CaseStatus,
    Channel,
    Direction,
    DispatchStage,
    PartnerKind,
    Priority,
)

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


# emergency ---------------------------------------------------------------------------------------------------------

PARTNER_CHOICES = [
    (PartnerKind.AMBULANCE.value, _("ambulance")),
    (PartnerKind.HOSPITAL_REFERRAL.value, _("hospital referral")),
    (PartnerKind.MEDICAL_ADVICE.value, _("medical advice line")),
]

STAGE_LABELS = {
    DispatchStage.REQUESTED: _("requested"),
    DispatchStage.CONFIRMED: _("confirmed"),
    DispatchStage.ARRIVED: _("arrived"),
    DispatchStage.CLOSED: _("closed"),
}


class EmergencyIntake(models.Model):
    """What the emergency line took in with an emergency case: where, what happened, the number to call back, and
    the cover found when the call came in (a snapshot: the policies in force and their assistance benefits)."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, primary_key=True, related_name="emergency")
    location = models.CharField(_("location"), max_length=300)
    situation = models.TextField(_("situation"), max_length=2000)
    callback_phone = models.CharField(_("callback number"), max_length=20)
    covered = models.BooleanField(_("covered"), help_text=_("A policy in force carried assistance benefits."))
    cover = models.JSONField(_("cover at intake"), default=list, blank=True)

    class Meta:
        verbose_name = _("emergency intake")
        verbose_name_plural = _("emergency intakes")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.location}"


class EmergencyDispatch(models.Model):
    """A partner the emergency line sent for (an ambulance, a hospital referral, the medical advice line) and the
    times it logged: requested, confirmed, arrived, closed, each at or after the one before."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="dispatches", db_index=False)
    partner_kind = models.CharField(_("partner"), max_length=20, choices=PARTNER_CHOICES)
    partner_name = models.CharField(_("partner name"), max_length=120)
    reference = models.CharField(_("partner's reference"), max_length=60, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    requested_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("partner dispatch")
        verbose_name_plural = _("partner dispatches")
        ordering = ["case", "requested_at", "id"]
        indexes = [models.Index(fields=["case", "requested_at"], name="dispatch_case_requested_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(confirmed_at__isnull=True)
                                   | models.Q(confirmed_at__gte=models.F("requested_at")),
                                   name="dispatch_confirmed_after_requested"),
            models.CheckConstraint(condition=models.Q(arrived_at__isnull=True)
                                   | models.Q(arrived_at__gte=models.F("requested_at")),
                                   name="dispatch_arrived_after_requested"),
            models.CheckConstraint(condition=models.Q(closed_at__isnull=True)
                                   | models.Q(closed_at__gte=models.F("requested_at")),
                                   name="dispatch_closed_after_requested"),
        ]

    def __str__(self) -> str:
        return f"{self.get_partner_kind_display()}: {self.partner_name}"

    def time_of(self, stage: DispatchStage) -> datetime | None:
        return getattr(self, f"{stage.value}_at")


class CaseTask(models.Model):
    """A follow-up on a case with its due time (call the customer back, check the hospital admitted them)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="tasks", db_index=False)
    title = models.CharField(_("follow-up"), max_length=200)
    due_at = models.DateTimeField(_("due"))
    assignee = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("for"))
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["case", "due_at", "id"]
        indexes = [
            models.Index(fields=["case", "due_at"], name="casetask_case_due_idx"),
            models.Index(fields=["done_at", "due_at"], name="casetask_open_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.title}"
