"""REST API of policy servicing: requests (list, detail with documents and the event log, record one).

Scoped as the pages are: a request outside the caller's data scope does not exist (404); a policy named in a body
outside it is a 400 naming the field. Recording goes through `servicing.services.request_create` with the same
checks as the pages (the counter, the call centre and the agent record the same request); its refusals are a 400
(`refused`) in the request's language, on the field they are about.
"""
from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from lifecrm.org.api import (
    DETAIL_ERRORS,
    LIST_ERRORS,
    WRITE_ERRORS,
    NamedChoiceField,
    ScopedAPIMixin,
    StaffRefSerializer,
)
from lifecrm.org.filtersets import BIGINT_MAX, IdFilter
from lifecrm.org.rules import Action
from lifecrm.parties.api import CustomerRefSerializer
from lifecrm.policies.selectors import policies_in_scope
from lifecrm.servicing import selectors, services
from lifecrm.servicing.models import STATUS_CHOICES, Channel, RequestDocument, RequestEvent, ServiceRequest

ID = {"min_value": 1, "max_value": BIGINT_MAX}


class RequestDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestDocument
        fields = ["code", "name", "name_en", "received_on"]


class RequestEventSerializer(serializers.ModelSerializer):
    by = serializers.SerializerMethodField(help_text="the login that did it, or the program")

    class Meta:
        model = RequestEvent
        fields = ["seq", "kind", "on", "at", "by", "note", "data"]

    def get_by(self, event: RequestEvent) -> str:
        return event.actor.get_username() if event.actor else event.system_actor


class ServiceRequestSerializer(serializers.ModelSerializer):
    request_type = serializers.CharField(source="request_type.code", help_text="contact_change, surrender…")
    policy = serializers.CharField(source="policy.number", help_text="the policy's number")
    customer = CustomerRefSerializer()
    status = NamedChoiceField(STATUS_CHOICES, enum_name="ServicingStatusEnum")
    channel = NamedChoiceField(Channel.choices, enum_name="ServicingChannelEnum")
    maker = StaffRefSerializer(allow_null=True)
    checker = StaffRefSerializer(allow_null=True)

    class Meta:
        model = ServiceRequest
        fields = ["id", "number", "request_type", "policy", "customer", "channel", "status", "received_on",
                  "accepted_on", "missing_notice_on", "complete_on", "approved_on", "closed_on", "accept_due",
                  "missing_items_due", "complete_due", "payment_due", "due_on", "amount", "fee", "needs_approval",
                  "maker", "checker"]


class ServiceRequestDetailSerializer(ServiceRequestSerializer):
    documents = RequestDocumentSerializer(many=True, help_text="the checklist and when each document came in")
    events = RequestEventSerializer(many=True, source="event_log", help_text="the append-only log, oldest first")

    class Meta(ServiceRequestSerializer.Meta):
        fields = [*ServiceRequestSerializer.Meta.fields, "payload", "result", "reason", "note", "documents",
                  "events"]


class ServiceRequestCreateSerializer(serializers.Serializer):
    policy = serializers.IntegerField(**ID, help_text="id of a policy in your scope")
    request_type = serializers.SlugField(max_length=32, help_text="a request type's code (contact_change, "
                                                                  "beneficiary_change, surrender…)")
    channel = NamedChoiceField(Channel.choices, enum_name="ServicingChannelEnum")
    received_on = serializers.DateField(required=False, help_text="the day it was received (default: today)")
    payload = serializers.JSONField(required=False, default=dict,
                                    help_text="the change, by type: {address, mobile_phone, email}, {beneficiaries: "
                                              "[{name, relation_to_insured, share ('50', '1/3'), order}]}, "
                                              "{premium_mode}, {payment_method, bank_account}, {sum_assured}, "
                                              "{amount, bank_name, bank_code, bank_account} for a loan or a "
                                              "partial withdrawal, {amount} for a loan repayment, "
                                              "{new_owner} (an owner change: the new owner's customer number), "
                                              "{bank_name, bank_code, bank_account} (the owner's account paid) for "
                                              "a surrender or a cooling-off cancellation")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_payload(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("The change is an object of its fields."), code="invalid")
        return value


class ServiceRequestFilterSet(django_filters.FilterSet):
    policy = IdFilter(field_name="policy_id", label=gettext_lazy("policy (id)"))
    customer = IdFilter(field_name="customer_id", label=gettext_lazy("customer (id)"))
    request_type = django_filters.CharFilter(field_name="request_type__code",
                                             label=gettext_lazy("request type (code)"))
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES)

    class Meta:
        model = ServiceRequest
        fields = ["policy", "customer", "request_type", "status"]


@extend_schema_view(
    list=extend_schema(tags=["servicing"], responses={200: ServiceRequestSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(tags=["servicing"], responses={200: ServiceRequestDetailSerializer, **DETAIL_ERRORS}),
    create=extend_schema(
        tags=["servicing"], request=ServiceRequestCreateSerializer,
        responses={201: ServiceRequestDetailSerializer, **WRITE_ERRORS},
        description="Record a policy owner's servicing request (the counter, the call centre and the agent record "
                    "the same request). 400: a bad field, a policy outside your scope, a change the policy cannot "
                    "take (the reason in the request's language, on its field).",
    ),
)
class ServiceRequestViewSet(ScopedAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Servicing requests of the caller's data scope, the earliest deadline first."""

    filterset_class = ServiceRequestFilterSet
    lookup_value_regex = r"[0-9]{1,18}"
    access_action = Action.REQUEST_SERVICING  # reads and writes: the roles that take requests in, as the pages

    def get_queryset(self):
        return (selectors.requests_in_scope(self.scope)
                .select_related("request_type", "policy", "customer", "maker", "checker")
                .order_by("due_on", "received_on", "id"))

    def get_serializer_class(self):
        if self.action == "create":
            return ServiceRequestCreateSerializer
        return ServiceRequestDetailSerializer if self.action == "retrieve" else ServiceRequestSerializer

    def _detail(self, request_id: int, *, code: int = status.HTTP_200_OK) -> Response:
        row = self.get_queryset().prefetch_related("documents").get(pk=request_id)
        row.event_log = list(selectors.request_events(row))
        return Response(ServiceRequestDetailSerializer(row).data, status=code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object().pk)

    def create(self, request, *args, **kwargs):
        incoming = ServiceRequestCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        policy = policies_in_scope(self.scope).filter(pk=data["policy"]).first()
        if policy is None:
            raise ValidationError({"policy": [ErrorDetail(_("No such policy in your scope."), code="no_such_policy")]})
        as_of = timezone.localdate()
        try:
            row = services.request_create(actor=request.user, policy=policy, request_type=data["request_type"],
                                          channel=data["channel"], received_on=data.get("received_on") or as_of,
                                          as_of=as_of, payload=data["payload"], note=data["note"])
        except services.ServicingRefused as error:
            field = error.field if error.field in ("policy", "request_type", "channel", "received_on") else "payload"
            raise ValidationError({field: [ErrorDetail(str(error), code="refused")]}) from None
        response = self._detail(row.pk, code=status.HTTP_201_CREATED)
        response["Location"] = f"{request.path.rstrip('/')}/{row.pk}/"
        return response
