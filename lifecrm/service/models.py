"""What the service desk keeps: interactions on every channel, cases and their append-only event log."""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lifecrm.org.rules import ScopeFields
from lifecrm.parties.models import CustomerSegment
from lifecrm.service.care_rules import FESTIVALS, OFFSET_AFTER, OFFSET_BEFORE, CareAction, Occasion
from lifecrm.service.rules import (
    COMMENT_MAX_LENGTH,
    SCORE_RANGE,
    CaseEventKind,
    CaseStatus,
    Channel,
    Direction,
    DispatchStage,
    PartnerKind,
    Priority,
    SurveyKind,
)
from lifecrm.service.sla_rules import Clock, TargetUnit

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
    (CaseStatus.OPEN.value, pgettext_lazy("case status", "open")),  # not billing's "open" (unpaid)
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


# routing

class RoutingRule(models.Model):
    """Where a new case goes: the first active rule (by `position`) whose fields all match puts it in `queue`.

    A blank field matches anything; `branch` matches the unit's whole subtree; `tier` is the customer's service
    tier on the day the case is opened (`parties.selectors.customer_tier`)."""

    position = models.PositiveIntegerField(_("position"), help_text=_("Rules are tried from the lowest position."))
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("type"))
    category = models.ForeignKey(CaseCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("category"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("branch"))
    tier = models.CharField(_("tier"), max_length=16, blank=True)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="rules", verbose_name=_("queue"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["position"], name="routing_rule_position_uniq")]

    def __str__(self) -> str:
        return f"#{self.position} → {self.queue_id}"


class DefaultQueue(models.Model):
    """The queue a case goes to when no routing rule matches: one per jurisdiction, and head office's (no
    jurisdiction) for the rest."""

    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="+", verbose_name=_("queue"))

    class Meta:
        verbose_name = _("default queue")
        verbose_name_plural = _("default queues")
        constraints = [models.UniqueConstraint(models.functions.Coalesce("jurisdiction", models.Value("")),
                                               name="default_queue_one_per_jurisdiction")]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id or 'HQ'} → {self.queue_id}"


class QueueMember(models.Model):
    """A handler working a queue: what they can take (blank: anything) and how much at once, in effort points."""

    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="members", verbose_name=_("queue"))
    staff = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("handler"))
    languages = models.JSONField(_("languages"), default=list, blank=True,
                                 help_text=_("Languages the handler serves in (empty: any)."))
    case_types = models.JSONField(_("case types"), default=list, blank=True,
                                  help_text=_("Case types the handler may take (empty: any)."))
    categories = models.JSONField(_("categories"), default=list, blank=True,
                                  help_text=_("Categories the handler may take (empty: any)."))
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=10,
                                                help_text=_("Effort points of open cases the handler carries at most."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("queue member")
        verbose_name_plural = _("queue members")
        ordering = ["queue", "staff"]
        constraints = [models.UniqueConstraint(fields=["queue", "staff"], name="queue_member_uniq")]

    def __str__(self) -> str:
        return f"{self.queue_id}: {self.staff_id}"


# case attachments

class CaseAttachment(models.Model):
    """A document added to a case: its bytes rest encrypted under VAR_DIR/case-attachments/ (`stored_name`)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=80, unique=True, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("case attachment")
        verbose_name_plural = _("case attachments")
        ordering = ["case", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.filename

# SLA
SLA_UNIT_CHOICES = [
    (TargetUnit.BUSINESS_HOURS.value, _("business hours")),
    (TargetUnit.CALENDAR_DAYS.value, _("calendar days")),
    (TargetUnit.CLOCK_HOURS.value, _("hours around the clock")),
]
SLA_CLOCK_CHOICES = [(Clock.RESPONSE.value, _("first answer")), (Clock.RESOLUTION.value, _("resolution"))]
ANY_PRIORITY = 0


class SlaPolicy(models.Model):
    """First-answer and resolution targets for the cases it matches (blank = any case type, tier, priority or
    jurisdiction; the most specific row wins). Versioned: a case is measured by the highest version of its row
    valid on the day it was opened, so a new version never changes the clocks of older cases."""

    case_type = models.CharField(_("case type"), max_length=20, blank=True, help_text=_("Blank: any case type."))
    tier = models.CharField(_("customer tier"), max_length=10, blank=True, help_text=_("Blank: any tier."))
    priority = models.PositiveSmallIntegerField(_("priority"), default=ANY_PRIORITY,
                                                choices=[(ANY_PRIORITY, _("any priority")), *PRIORITY_CHOICES])
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, blank=True,
                                    help_text=_("Blank: any jurisdiction."))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    valid_from = models.DateField(_("valid from"))
    response_quantity = models.DecimalField(_("first answer within"), max_digits=6, decimal_places=2)
    response_unit = models.CharField(_("unit"), max_length=16, choices=SLA_UNIT_CHOICES)
    resolution_quantity = models.DecimalField(_("resolved within"), max_digits=6, decimal_places=2)
    resolution_unit = models.CharField(_("unit"), max_length=16, choices=SLA_UNIT_CHOICES)
    warn_percent = models.PositiveSmallIntegerField(_("warn when left (%)"), default=20,
                                                    help_text=_("Warn when this share of the target is left."))

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["jurisdiction", "case_type", "tier", "priority", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case_type", "tier", "priority", "jurisdiction", "version"],
                                    name="sla_policy_key_version_uniq"),
            models.CheckConstraint(condition=models.Q(response_quantity__gt=0, resolution_quantity__gt=0),
                                   name="sla_policy_targets_positive"),
            models.CheckConstraint(condition=models.Q(warn_percent__lt=100), name="sla_policy_warn_below_100"),
        ]

    def __str__(self) -> str:
        key = "/".join(str(x) for x in (self.jurisdiction or "*", self.case_type or "*", self.tier or "*",
                                        self.priority or "*"))
        return f"{key} v{self.version}"


class BusinessHours(models.Model):
    """One working interval of a jurisdiction's working days, in its time zone (several a day: 09:00–12:00 and
    13:30–18:00). Rows for a weekday replace the every-day rows on that weekday (HK's Saturday morning)."""

    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), null=True, blank=True,
        choices=[(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
                 (5, _("Saturday")), (6, _("Sunday"))],
        help_text=_("Blank: every working day without rows of its own."))
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["jurisdiction", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="business_hours_end_after"),
            models.UniqueConstraint(fields=["jurisdiction", "weekday", "start"], name="business_hours_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id} {self.weekday if self.weekday is not None else '*'} {self.start}–{self.end}"


class ClosurePeriod(models.Model):
    """A closure head office declares for a jurisdiction (a typhoon or rainstorm signal): no business time from
    `starts_at` to `ends_at`, so SLA clocks stand still."""

    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("to"))
    reason = models.CharField(_("reason"), max_length=200)
    declared_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["jurisdiction", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="closure_ends_after"),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%Y-%m-%d %H:%M} {self.reason}"


class SlaAlert(models.Model):
    """A warning before a breach or an escalation at breach: one row per (case, clock, kind), so a sweep that runs
    again raises nothing twice."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("breach ahead")
        BREACH = "breach", _("breached")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sla_alerts", db_index=False)
    clock = models.CharField(_("clock"), max_length=10, choices=SLA_CLOCK_CHOICES)
    kind = models.CharField(_("alert"), max_length=8, choices=Kind.choices)
    due = models.DateTimeField(_("due"))
    raised_at = models.DateTimeField(_("raised at"))
    # Who is told: the handler, else the queue's unit; escalations go to the branch's managers (the case's scope).
    assignee = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 db_index=False)
    branch_path = models.CharField(max_length=200, editable=False)
    agent = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)

    SCOPE_FIELDS = ScopeFields(path="branch_path", agent="agent_id")

    class Meta:
        verbose_name = _("SLA alert")
        verbose_name_plural = _("SLA alerts")
        ordering = ["-raised_at"]
        constraints = [models.UniqueConstraint(fields=["case", "clock", "kind"], name="sla_alert_uniq")]
        indexes = [models.Index(fields=["branch_path", "-raised_at"], name="sla_alert_branch_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.clock} {self.kind}"


# surveys ------------------------------------------------------------------------------------------------------------
class Survey(models.Model):
    """A satisfaction survey sent to a customer (CSAT after a case closes, a periodic NPS), or the reason none was.

    Its subject is generic (`subject_kind` "service.case"; later "servicing.request", "claims.claim"; "parties.customer"
    for the periodic NPS). Who served (staff member, team, branch) is fixed when it is sent: a case reassigned later
    still credits them. The link's one-time token is kept only as its SHA-256 (`token_hash`)."""

    class Kind(models.TextChoices):
        CSAT = SurveyKind.CSAT.value, _("satisfaction (CSAT)")
        NPS = SurveyKind.NPS.value, _("recommendation (NPS)")

    class Status(models.TextChoices):
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("not sent")

    class Skip(models.TextChoices):
        TOO_SOON = "too_soon", _("asked too recently")
        NO_CONTACT = "no_contact", _("no mobile phone or e-mail address")
        ANONYMISED = "anonymised", _("customer anonymised")

    kind = models.CharField(_("survey"), max_length=4, choices=Kind.choices)
    subject_kind = models.CharField(_("about"), max_length=40)
    subject_id = models.PositiveBigIntegerField()
    subject_label = models.CharField(_("reference"), max_length=40, blank=True)
    customer = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="surveys", db_index=False)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    skip_reason = models.CharField(_("why not sent"), max_length=12, choices=Skip.choices, blank=True)
    # Who served, fixed when sent: the staff member, their team (None when not in a team) and branch.
    staff = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("staff member"))
    team = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("team"))
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"))
    served_path = models.CharField(max_length=200, editable=False)  # the serving unit's path: the reports' scope
    # The customer's unit and agent when sent: the survey's scope on the customer's timeline.
    branch_path = models.CharField(max_length=200, editable=False)
    agent = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)
    sent_at = models.DateTimeField(_("sent at"))
    channel = models.CharField(_("channel"), max_length=12, blank=True)
    language = models.CharField(_("message language"), max_length=10)
    detail = models.CharField(_("delivery"), max_length=300, blank=True)
    token_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)

    SCOPE_FIELDS = ScopeFields(path="branch_path", agent="agent_id")

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-sent_at"]
        constraints = [
            # one CSAT per subject (a closing sent twice, a rerun: the first stands)
            models.UniqueConstraint(fields=["subject_kind", "subject_id"], condition=models.Q(kind="csat"),
                                    name="survey_csat_one_per_subject"),
            models.UniqueConstraint(fields=["token_hash"], condition=models.Q(token_hash__isnull=False),
                                    name="survey_token_uniq"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True)
                | models.Q(kind="csat", score__range=SCORE_RANGE[SurveyKind.CSAT])
                | models.Q(kind="nps", score__range=SCORE_RANGE[SurveyKind.NPS]),
                name="survey_score_in_range"),
            models.CheckConstraint(condition=models.Q(answered_at__isnull=True) | models.Q(score__isnull=False),
                                   name="survey_answer_has_score"),
            models.CheckConstraint(condition=~models.Q(status="sent") | models.Q(token_hash__isnull=False),
                                   name="survey_sent_has_token"),
        ]
        indexes = [
            models.Index(fields=["customer", "-sent_at"], name="survey_customer_sent_idx"),
            models.Index(fields=["served_path", "sent_at"], name="survey_served_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_kind}#{self.subject_id}"

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

# complaints
class Complaint(models.Model):
    """A complaint case's regulated side (CBIRC Order 2020 No. 3): its receipt, complexity, the decision's deadline
    (a cache of `service.complaint_rules` over the case's "extended" events) and the review's dates.

    The extension itself is a "extended" `CaseEvent` (with who asked, who approved, the days and the notice sent);
    a request waiting for approval is kept here until a manager approves it."""

    class Stage(models.TextChoices):
        OPEN = "open", _("waiting for the decision")
        DECIDED = "decided", _("decided, delivery not proved")
        DELIVERED = "delivered", _("decision delivered")
        REVIEW = "review", _("review requested")
        REVIEWED = "reviewed", _("review decided, delivery not proved")
        CLOSED = "closed", _("review decision delivered")

    case = models.OneToOneField(Case, on_delete=models.PROTECT, primary_key=True, related_name="complaint")
    received_on = models.DateField(_("received on"))
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.OPEN)
    is_complex = models.BooleanField(_("complex"), default=False)
    extension_days = models.PositiveSmallIntegerField(_("extension (days)"), default=0)
    decision_due = models.DateField(_("decision due"))
    extension_requested_days = models.PositiveSmallIntegerField(_("extension asked for (days)"), null=True,
                                                                blank=True)
    extension_reason = models.CharField(_("reason for the extension"), max_length=500, blank=True)
    extension_requested_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True,
                                               related_name="+", db_index=False)
    review_last_day = models.DateField(_("review may be asked until"), null=True, blank=True)
    review_requested_on = models.DateField(_("review asked for on"), null=True, blank=True)
    review_due = models.DateField(_("review decision due"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [models.Index(fields=["stage", "decision_due"], name="complaint_stage_due_idx"),
                   models.Index(fields=["received_on"], name="complaint_received_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(extension_days__lte=30), name="complaint_extension_max_30"),
        ]

    def __str__(self) -> str:
        return str(self.case)


class ComplaintDecision(models.Model):
    """A decision on a complaint, or on its review: the facts, the decision, its basis and the customer's rights
    (Art. 19), its letter's print file, whether it met its deadline, and the proof of its delivery (Art. 21)."""

    class Kind(models.TextChoices):
        FIRST = "first", _("decision")
        REVIEW = "review", _("review decision")

    class DeliveryChannel(models.TextChoices):
        POST = "post", _("registered post")
        HAND = "hand", _("handed over")
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")
        PORTAL = "portal", _("customer portal")

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="decisions", db_index=False)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    facts = models.TextField(_("facts"), max_length=5000)
    decision = models.TextField(_("decision"), max_length=5000)
    basis = models.TextField(_("basis"), max_length=5000)
    rights = models.TextField(_("the customer's rights"), max_length=2000)
    language = models.CharField(_("language"), max_length=10)
    decided_at = models.DateTimeField(_("decided at"))
    decided_on = models.DateField(_("decided on"))
    decided_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", db_index=False)
    due = models.DateField(_("due"))
    on_time = models.BooleanField(_("within the time limit"))
    letter = models.OneToOneField("notifications.Letter", on_delete=models.PROTECT, related_name="+")
    delivery_channel = models.CharField(_("delivered by"), max_length=8, choices=DeliveryChannel.choices,
                                        blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivery_reference = models.CharField(_("receipt reference"), max_length=100, blank=True)
    delivery_recorded_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True,
                                             related_name="+", db_index=False)

    class Meta:
        verbose_name = _("complaint decision")
        verbose_name_plural = _("complaint decisions")
        ordering = ["complaint", "decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "kind"], name="complaint_decision_once_per_kind"),
            models.CheckConstraint(
                condition=(models.Q(delivered_at__isnull=True, delivery_channel="", delivery_reference="")
                           | (models.Q(delivered_at__isnull=False) & ~models.Q(delivery_channel="")
                              & ~models.Q(delivery_reference=""))),
                name="complaint_delivery_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"


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
