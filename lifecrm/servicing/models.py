"""Policy servicing (保全): the catalogue of request types, servicing requests with their documents, clocks and
append-only event log (the loans they grant are policies' loan ledger)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lifecrm.banking.models import CreditTransfer
from lifecrm.org.rules import ScopeFields
from lifecrm.servicing.rules import RequestStatus


class RequestType(models.Model):
    """One kind of change a policy owner may ask for (reference data: servicing/data/request_types.json)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    # [{"code": ..., "name": ..., "name_en": ...}]: what the owner hands in.
    documents = models.JSONField(_("required documents"), default=list)
    # The maker-checker rule: always a second person (a risky change), or above this amount.
    approval_always = models.BooleanField(_("always needs approval"), default=False)
    approval_above = models.DecimalField(_("needs approval above"), max_digits=14, decimal_places=2, null=True,
                                         blank=True)
    fee = models.DecimalField(_("fee"), max_digits=10, decimal_places=2, default=0)
    # A partial withdrawal's limit: per product code ("*": any other product), the most it may take, in per cent of
    # the cash value ({"*": "20"}). Empty for the other types.
    cash_value_percent = models.JSONField(_("limit (% of the cash value) by product"), default=dict, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("servicing request type")
        verbose_name_plural = _("servicing request types")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name_en


class Channel(models.TextChoices):
    COUNTER = "counter", _("counter")
    CALL_CENTRE = "callcentre", _("call centre")
    AGENT = "agent", _("sales agent")
    PORTAL = "portal", _("customer portal")


STATUS_LABELS = {
    RequestStatus.RECEIVED: _("received"),
    RequestStatus.ACCEPTED: _("accepted"),
    RequestStatus.AWAITING_DOCUMENTS: _("awaiting documents"),
    RequestStatus.COMPLETE: _("complete"),
    RequestStatus.PENDING_APPROVAL: _("pending approval"),
    RequestStatus.APPROVED: _("approved"),
    RequestStatus.EXECUTED: _("executed"),
    RequestStatus.REJECTED: _("rejected"),
    RequestStatus.CANCELLED: _("cancelled"),
}
STATUS_CHOICES = [(s.value, STATUS_LABELS[s]) for s in RequestStatus]


class ServiceRequest(models.Model):
    """A policy owner's servicing request: what, on which policy, where it stands and by when.

    The history is the append-only `RequestEvent` log; the dates and deadlines here are what it says now. The
    data scope is the policy's unit and agent when the request came in (`branch_path`, `agent`)."""

    number = models.CharField(_("request number"), max_length=16, unique=True)
    request_type = models.ForeignKey(RequestType, on_delete=models.PROTECT, related_name="requests",
                                     verbose_name=_("type"))
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="+", db_index=False)
    customer = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, related_name="+", db_index=False)
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, related_name="+",
                                     db_index=False)
    channel = models.CharField(_("received through"), max_length=12, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=20, choices=STATUS_CHOICES, default=RequestStatus.RECEIVED)
    received_on = models.DateField(_("received on"))
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    missing_notice_on = models.DateField(_("missing-items notice sent on"), null=True, blank=True)
    complete_on = models.DateField(_("complete on"), null=True, blank=True)
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # the day the money went to the bank (a surrender's 30-day payment clock stops): the Disbursement's sent date
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    # The clocks (a cache of servicing.rules.request_clocks) and the deadline worked towards now.
    accept_due = models.DateField(_("accept by"))
    missing_items_due = models.DateField(_("missing items asked by"))
    complete_due = models.DateField(_("complete by"), null=True, blank=True)
    payment_due = models.DateField(_("pay by"), null=True, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    # What the change is (per type: servicing.services), and what its execution did.
    payload = models.JSONField(_("change"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    fee = models.DecimalField(_("fee"), max_digits=10, decimal_places=2, default=0)
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    maker = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("maker"))
    checker = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("checker"))
    created_at = models.DateTimeField(_("recorded at"))
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", db_index=False)
    branch_path = models.CharField(max_length=200, editable=False)
    agent = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)

    SCOPE_FIELDS = ScopeFields(path="branch_path", agent="agent_id")

    class Meta:
        verbose_name = _("servicing request")
        verbose_name_plural = _("servicing requests")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(checker__isnull=True) | ~models.Q(checker=models.F("maker")),
                                   name="servicing_checker_not_maker"),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="servicing_status_due_idx"),
            models.Index(fields=["branch_path", "status"], name="servicing_branch_status_idx"),
            models.Index(fields=["policy", "status"], name="servicing_policy_status_idx"),
            models.Index(fields=["customer", "-received_on"], name="servicing_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in {RequestStatus.EXECUTED, RequestStatus.REJECTED, RequestStatus.CANCELLED}


class RequestDocument(models.Model):
    """One line of a request's document checklist and the day the document reached the insurer."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="documents")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("document"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    received_on = models.DateField(_("received on"), null=True, blank=True)

    class Meta:
        verbose_name = _("request document")
        verbose_name_plural = _("request documents")
        ordering = ["request", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "code"], name="uniq_request_document")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.code}"


class RequestEvent(models.Model):
    """The append-only log of a request: received, accepted, documents in, notice, approval, execution…"""

    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="events", db_index=False)
    seq = models.PositiveIntegerField(_("sequence"))
    kind = models.CharField(_("event"), max_length=24)
    on = models.DateField(_("business date"))
    at = models.DateTimeField(_("recorded at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    system_actor = models.CharField(max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["request", "seq"]
        constraints = [models.UniqueConstraint(fields=["request", "seq"], name="uniq_request_event_seq")]

    def __str__(self) -> str:
        return f"{self.request_id}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("request events are append-only")
        super().save(*args, **kwargs)



class Disbursement(CreditTransfer):
    """What a money request pays the policy owner (a surrender value, a policy loan, a cooling-off refund), to the
    owner's bank account given on the request, by a pain.001 credit transfer (banking's writer). Held until the
    request is executed (the amount is the execution's), then to pay, then sent in exactly one file
    (`end_to_end_id` unique, `bank_file` set once); the day it is sent is the request's paid date. The bank's
    status report (pain.002, `payment_results`) marks it accepted, or rejected with its ISO reason: staff then give
    the owner's new account and it goes out again (`services.disbursement_reissue`: a new end-to-end id)."""

    class Status(models.TextChoices):
        HELD = "held", _("awaiting execution")
        PENDING = "pending", _("to pay")
        SENT = "sent", _("sent to the bank")
        ACCEPTED = "accepted", _("accepted by the bank")
        REJECTED = "rejected", _("rejected by the bank: needs a new account")

    request = models.OneToOneField(ServiceRequest, on_delete=models.PROTECT, related_name="disbursement")
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="+", db_index=False)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.HELD)
    # the policy's scope, as the request's (a clerk exports the payments of the requests they see)
    branch_path = models.CharField(max_length=200, editable=False)
    agent = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)

    SCOPE_FIELDS = ScopeFields(path="branch_path", agent="agent_id")

    class Meta:
        verbose_name = _("servicing payment")
        verbose_name_plural = _("servicing payments")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["end_to_end_id"], name="disbursement_e2e_uniq"),
            models.CheckConstraint(condition=models.Q(status="held") | models.Q(amount__gt=0),
                                   name="disbursement_positive"),
            models.CheckConstraint(condition=models.Q(status__in=["held", "pending"], bank_file__isnull=True)
                                   | models.Q(status__in=["sent", "accepted", "rejected"], bank_file__isnull=False),
                                   name="disbursement_sent_has_file"),
        ]
        indexes = [models.Index(fields=["status", "currency"], name="disbursement_status_idx")]

    def __str__(self) -> str:
        return f"{self.end_to_end_id} {self.amount} {self.get_status_display()}"
