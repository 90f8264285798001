"""REST API of the service desk: interactions (list, log one) and cases (list, detail with the event log, open one,
and its moves as POST sub-routes: assign, respond, note, wait, resume, resolve, close).

Everything is scoped as the pages are: an interaction or a case outside the caller's data scope does not exist
(404); a customer, policy or case named in a body that is outside it is a 400 naming the field. Every write goes
through `service.services` with the same checks as the pages; a move the case's status does not allow is a 409
(`transition_refused`), a refusal of the service a 400 (`refused`) in the request's language.
"""
from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from lifecrm.org.access import AccessDenied
from lifecrm.org.api import (
    DETAIL_ERRORS,
    LIST_ERRORS,
    WRITE_ERRORS,
    ApiErrorSerializer,
    NamedChoiceField,
    ScopedAPIMixin,
    StaffRefSerializer,
)
from lifecrm.org.filtersets import BIGINT_MAX, IdFilter
from lifecrm.org.models import Staff
from lifecrm.org.rules import Action
from lifecrm.parties.api import CustomerRefSerializer
from lifecrm.parties.selectors import customers_in_scope
from lifecrm.service import selectors, services, sla
from lifecrm.service.models import (
    CHANNEL_CHOICES,
    DIRECTION_CHOICES,
    EVENT_CHOICES,
    STATUS_CHOICES,
    Case,
    CaseEvent,
    Interaction,
)
from lifecrm.service.rules import CaseEventKind, Priority, TransitionRefused

ID = {"min_value": 1, "max_value": BIGINT_MAX}


class TransitionConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "transition_refused"
    default_detail = gettext_lazy("The case's status does not allow this.")


def _refused(error: services.ServiceRefused, field: str = "non_field_errors") -> ValidationError:
    return ValidationError({field: [ErrorDetail(str(error), code="refused")]})


def _customer(scope, customer_id: int):
    customer = customers_in_scope(scope).filter(pk=customer_id).first()
    if customer is None:
        raise ValidationError({"customer": [ErrorDetail(_("No such customer in your scope."),
                                                        code="no_such_customer")]})
    return customer


def _not_in_future(value):
    if value > timezone.now():
        raise serializers.ValidationError(_("A contact cannot be logged in the future."), code="future")
    return value


# -- interactions --------------------------------------------------------------------------------------------------

class InteractionSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    channel = NamedChoiceField(CHANNEL_CHOICES, enum_name="InteractionChannelEnum")
    direction = NamedChoiceField(DIRECTION_CHOICES, enum_name="InteractionDirectionEnum")
    outcome = NamedChoiceField(Interaction.Outcome.choices, enum_name="InteractionOutcomeEnum")
    staff = StaffRefSerializer(allow_null=True, help_text="who logged it (none for a system)")

    class Meta:
        model = Interaction
        fields = ["id", "customer", "policy", "case", "channel", "direction", "subject", "outcome", "note", "staff",
                  "occurred_at", "recorded_at"]


class InteractionCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField(**ID, help_text="id of a customer in your scope")
    channel = NamedChoiceField(CHANNEL_CHOICES, enum_name="InteractionChannelEnum")
    direction = NamedChoiceField(DIRECTION_CHOICES, enum_name="InteractionDirectionEnum")
    subject = serializers.CharField(max_length=200, help_text="what the contact was about")
    outcome = NamedChoiceField(Interaction.Outcome.choices, enum_name="InteractionOutcomeEnum")
    occurred_at = serializers.DateTimeField(required=False, validators=[_not_in_future],
                                            help_text="when it happened (default: now); never in the future")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    policy = serializers.IntegerField(**ID, required=False, allow_null=True, default=None,
                                      help_text="id of one of the customer's policies")
    case = serializers.IntegerField(**ID, required=False, allow_null=True, default=None,
                                    help_text="id of one of the customer's cases in your scope")


class InteractionFilterSet(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id", label=gettext_lazy("customer (id)"))
    case = IdFilter(field_name="case_id", label=gettext_lazy("case (id)"))
    channel = django_filters.ChoiceFilter(choices=CHANNEL_CHOICES)
    direction = django_filters.ChoiceFilter(choices=DIRECTION_CHOICES)

    class Meta:
        model = Interaction
        fields = ["customer", "case", "channel", "direction"]


@extend_schema_view(
    list=extend_schema(tags=["service"], responses={200: InteractionSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(tags=["service"], responses={200: InteractionSerializer, **DETAIL_ERRORS}),
    create=extend_schema(
        tags=["service"], request=InteractionCreateSerializer, responses={201: InteractionSerializer, **WRITE_ERRORS},
        description="Log a contact with a customer (a call, a visit, a message, a letter). Every service role. "
                    "400: a bad field, a customer, policy or case outside your scope or not the customer's, a time "
                    "in the future.",
    ),
)
class InteractionViewSet(ScopedAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Interactions with the customers of the caller's data scope, newest first (filter `customer` for one
    customer's)."""

    filterset_class = InteractionFilterSet
    lookup_value_regex = r"[0-9]{1,18}"
    access_actions = {"create": Action.LOG_INTERACTION}

    def get_queryset(self):
        return (selectors.interactions_in_scope(self.scope).select_related("customer", "staff")
                .order_by("-occurred_at", "-id"))

    def get_serializer_class(self):
        return InteractionCreateSerializer if self.action == "create" else InteractionSerializer

    def create(self, request, *args, **kwargs):
        incoming = InteractionCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        customer = _customer(self.scope, data["customer"])
        case = None
        if data["case"] is not None:
            case = selectors.cases_in_scope(self.scope).filter(pk=data["case"], customer=customer).first()
            if case is None:
                raise ValidationError({"case": [ErrorDetail(_("No such case of this customer in your scope."),
                                                            code="no_such_case")]})
        try:
            interaction = services.interaction_log(
                actor=request.user, customer=customer, channel=data["channel"], direction=data["direction"],
                subject=data["subject"], outcome=data["outcome"], note=data["note"], policy_id=data["policy"],
                occurred_at=data.get("occurred_at") or timezone.now(), case=case)
        except services.ServiceRefused as error:
            raise _refused(error) from None
        body = InteractionSerializer(self.get_queryset().get(pk=interaction.pk)).data
        return Response(body, status=status.HTTP_201_CREATED,
                        headers={"Location": f"{request.path.rstrip('/')}/{interaction.pk}/"})


# -- cases -------------------------------------------------------------------------------------------------------

class CaseEventSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(EVENT_CHOICES, enum_name="CaseEventKindEnum")
    by = serializers.SerializerMethodField(help_text="the login that did it, or the program")

    class Meta:
        model = CaseEvent
        fields = ["seq", "kind", "at", "by", "note", "data"]

    def get_by(self, event: CaseEvent) -> str:
        return event.actor.get_username() if event.actor else event.system_actor


class CaseSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    case_type = serializers.CharField(source="case_type_id", help_text="inquiry, request, complaint, emergency…")
    category = serializers.CharField(source="category_id", allow_null=True)
    priority = serializers.IntegerField(help_text="1 urgent, 2 high, 3 normal, 4 low")
    status = NamedChoiceField(STATUS_CHOICES, enum_name="CaseStatusEnum")
    channel = NamedChoiceField(CHANNEL_CHOICES, enum_name="InteractionChannelEnum")
    assignee = StaffRefSerializer(allow_null=True)
    queue = serializers.CharField(source="queue_id", allow_null=True)

    class Meta:
        model = Case
        fields = ["id", "number", "case_type", "category", "priority", "status", "customer", "policy", "channel",
                  "subject", "assignee", "queue", "opened_at", "first_responded_at", "resolved_at", "closed_at",
                  "response_due", "resolution_due"]


PROVISIONAL_HELP = ("true when %s was counted on a working calendar not yet published (a year its jurisdiction has "
                    "only provisionally loaded): it may move when the official calendar is loaded")


class CaseDetailSerializer(CaseSerializer):
    events = CaseEventSerializer(many=True, source="event_log", help_text="the append-only log, oldest first")
    response_due_provisional = serializers.SerializerMethodField(help_text=PROVISIONAL_HELP % "response_due")
    resolution_due_provisional = serializers.SerializerMethodField(help_text=PROVISIONAL_HELP % "resolution_due")

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "response_due_provisional", "resolution_due_provisional", "language",
                  "description", "events"]

    def _provisional(self, case: Case) -> dict[str, bool]:
        if not hasattr(case, "_deadlines_provisional"):
            case._deadlines_provisional = sla.deadlines_provisional(case)
        return case._deadlines_provisional

    def get_response_due_provisional(self, case: Case) -> bool:
        return self._provisional(case)["response"]

    def get_resolution_due_provisional(self, case: Case) -> bool:
        return self._provisional(case)["resolution"]


class CaseCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField(**ID, help_text="id of a customer in your scope")
    case_type = serializers.SlugField(max_length=20, help_text="inquiry, request, complaint, emergency")
    category = serializers.SlugField(max_length=30, required=False, allow_null=True, default=None)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    channel = NamedChoiceField(CHANNEL_CHOICES, enum_name="InteractionChannelEnum")
    priority = serializers.IntegerField(min_value=1, max_value=4, required=False, allow_null=True, default=None,
                                        help_text="1 urgent … 4 low; default: the case type's")
    policy = serializers.IntegerField(**ID, required=False, allow_null=True, default=None)
    about_staff = serializers.IntegerField(**ID, required=False, allow_null=True, default=None,
                                           help_text="a complaint: the staff member it names (never its handler)")


class CaseNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class CaseAssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(**ID, help_text="id of an active staff member")


@extend_schema_field({"type": "integer", "enum": [p.value for p in Priority]})
class PriorityFilter(django_filters.ChoiceFilter):
    """A priority, 1 (urgent) to 4 (low): an integer in the schema (a ChoiceFilter would publish a number)."""


class CaseFilterSet(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id", label=gettext_lazy("customer (id)"))
    assignee = IdFilter(field_name="assignee_id", label=gettext_lazy("handler (staff id)"))
    case_type = django_filters.CharFilter(field_name="case_type_id", label=gettext_lazy("case type (code)"))
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES)
    priority = PriorityFilter(choices=[(str(k), v) for k, v in Case._meta.get_field("priority").choices])
    opened = django_filters.DateFromToRangeFilter(field_name="opened_at__date",
                                                  label=gettext_lazy("opened between (inclusive)"))

    class Meta:
        model = Case
        fields = ["customer", "assignee", "case_type", "status", "priority", "opened"]


MOVES = {
    "respond": CaseEventKind.RESPONDED,
    "note": CaseEventKind.NOTE,
    "wait": CaseEventKind.WAITING,
    "resume": CaseEventKind.RESUMED,
    "resolve": CaseEventKind.RESOLVED,
    "close": CaseEventKind.CLOSED,
}
MOVE_WORDS = {
    "respond": "Record an answer to the customer (the first one stops the first-response clock).",
    "note": "Add an internal note (never shown to the customer); the note may not be empty.",
    "wait": "Wait for the customer: the resolution clock pauses.",
    "resume": "Resume a case that waited for the customer.",
    "resolve": "Resolve the case (the customer may still come back: it reopens).",
    "close": "Close a resolved case for good.",
}
MOVE_ERRORS = {200: CaseDetailSerializer, 409: ApiErrorSerializer, **DETAIL_ERRORS, **WRITE_ERRORS}


def _move_schema(name: str):
    return extend_schema(tags=["service"], request=CaseNoteSerializer, responses=MOVE_ERRORS,
                         description=f"{MOVE_WORDS[name]} Roles that handle cases (not sales agents). 409: the "
                                     f"case's status does not allow it.")


@extend_schema_view(
    list=extend_schema(tags=["service"], responses={200: CaseSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(tags=["service"], responses={200: CaseDetailSerializer, **DETAIL_ERRORS}),
    create=extend_schema(
        tags=["service"], request=CaseCreateSerializer, responses={201: CaseDetailSerializer, **WRITE_ERRORS},
        description="Open a case (inquiry, request, complaint, emergency) for a customer of your scope. Every "
                    "service role. 400: a bad field, an unknown case type or a category of another type, a "
                    "customer or policy outside your scope.",
    ),
    assign=extend_schema(tags=["service"], request=CaseAssignSerializer, responses=MOVE_ERRORS,
                         description="Give the case to a staff member: management to anyone, a handler to "
                                     "themselves. A complaint is never handled by the staff member it names (400)."),
    **{name: _move_schema(name) for name in MOVES},
)
class CaseViewSet(ScopedAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases of the customers of the caller's data scope, the most urgent and oldest first."""

    filterset_class = CaseFilterSet
    lookup_value_regex = r"[0-9]{1,18}"
    access_actions = {"create": Action.OPEN_CASE} | dict.fromkeys(["assign", *MOVES], Action.HANDLE_CASE)

    def get_queryset(self):
        return (selectors.cases_in_scope(self.scope).select_related("customer", "assignee")
                .order_by("priority", "opened_at", "id"))

    def get_serializer_class(self):
        if self.action == "create":
            return CaseCreateSerializer
        if self.action == "assign":
            return CaseAssignSerializer
        if self.action in MOVES:
            return CaseNoteSerializer
        return CaseDetailSerializer if self.action == "retrieve" else CaseSerializer

    def _detail(self, case_id: int, *, code: int = status.HTTP_200_OK) -> Response:
        case = self.get_queryset().get(pk=case_id)
        case.event_log = selectors.case_events(case=case)
        return Response(CaseDetailSerializer(case).data, status=code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object().pk)

    def create(self, request, *args, **kwargs):
        incoming = CaseCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        customer = _customer(self.scope, data["customer"])
        about = None
        if data["about_staff"] is not None:
            about = Staff.objects.filter(pk=data["about_staff"]).first()
            if about is None:
                raise ValidationError({"about_staff": [ErrorDetail(_("No such staff member."),
                                                                   code="no_such_staff")]})
        try:
            case = services.case_open(
                actor=request.user, customer=customer, case_type=data["case_type"], category=data["category"],
                subject=data["subject"], description=data["description"], channel=data["channel"],
                priority=data["priority"], policy_id=data["policy"], about_staff=about, opened_at=timezone.now())
        except services.ServiceRefused as error:
            raise _refused(error) from None
        response = self._detail(case.pk, code=status.HTTP_201_CREATED)
        response["Location"] = f"{request.path.rstrip('/')}/{case.pk}/"
        return response

    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        case = self.get_object()
        incoming = CaseAssignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        assignee = Staff.objects.filter(pk=incoming.validated_data["assignee"]).first()
        if assignee is None:
            raise ValidationError({"assignee": [ErrorDetail(_("No such staff member."), code="no_such_staff")]})
        self._write(lambda: services.case_assign(actor=request.user, case=case, assignee=assignee,
                                                 at=timezone.now()), field="assignee")
        return self._detail(case.pk)

    def _move(self, request, name: str) -> Response:
        case = self.get_object()
        incoming = CaseNoteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        self._write(lambda: services.case_event_append(actor=request.user, case=case, kind=MOVES[name],
                                                       at=timezone.now(), note=incoming.validated_data["note"]),
                    field="note" if name == "note" else "non_field_errors")
        return self._detail(case.pk)

    @staticmethod
    def _write(call, *, field: str) -> None:
        try:
            call()
        except TransitionRefused:
            raise TransitionConflict() from None
        except services.ServiceRefused as error:
            raise _refused(error, field) from None
        except AccessDenied as error:
            raise exceptions.PermissionDenied(error.user_message or None) from None

    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        return self._move(request, "respond")

    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        return self._move(request, "note")

    @action(detail=True, methods=["post"])
    def wait(self, request, pk=None):
        return self._move(request, "wait")

    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._move(request, "resume")

    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._move(request, "resolve")

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._move(request, "close")

