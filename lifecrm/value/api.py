"""REST API of customer value: `GET /api/v1/customers/{id}/value/`, a customer's value components, tier, stage and
entitlements, and the lapse risk of their policies, each with its reasons (PIPL Art. 24), for the roles that may
see value (`value.view`: management, and agents for their own book); 404 outside the caller's scope."""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from lifecrm.org.api import DETAIL_ERRORS, ScopedAPIMixin
from lifecrm.org.rules import Action
from lifecrm.parties.selectors import customer_entitlements, customer_get, customer_segment
from lifecrm.policies.selectors import policy_ids_for_customer
from lifecrm.service.selectors import care_of_tier
from lifecrm.value.models import CustomerValue
from lifecrm.value.reasons import reasons_text
from lifecrm.value.selectors import customer_lapse_scores, customer_value


class ComponentsSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerValue
        fields = ["as_of", "currency", "current_value", "premiums_paid", "margin_earned", "potential_value",
                  "network_value", "total_value", "reasons", "explanation"]

    explanation = serializers.SerializerMethodField(
        help_text="the reasons in words, in the request's language (Accept-Language), by component")

    def get_explanation(self, value: CustomerValue) -> dict[str, list[str]]:
        return reasons_text(value.reasons)


class CustomerValueSerializer(serializers.Serializer):
    customer = serializers.IntegerField(help_text="the customer's id")
    as_of = serializers.DateField(help_text="the day asked about (today unless ?as_of=)")
    value = ComponentsSerializer(allow_null=True, help_text="the latest value computed on or before as_of")
    segment = inline_serializer("CustomerSegmentOut", {
        "tier": serializers.CharField(), "stage": serializers.CharField(allow_null=True),
        "valid_from": serializers.DateField(allow_null=True),
        "reasons": serializers.JSONField(help_text='by component, each {"code": ..., and its figures}'),
        "explanation": serializers.JSONField(help_text="the reasons in words, in the request's language")})
    entitlements = inline_serializer("CustomerEntitlementsOut", {
        "reminder_ladder": serializers.CharField(), "routing_priority": serializers.IntegerField(),
        "sla_multiplier": serializers.DecimalField(max_digits=4, decimal_places=2),
        "dedicated_manager": serializers.BooleanField(),
        "care_events": serializers.ListField(help_text="what the tier receives: the service desk's care rules, as "
                                                       "<occasion>_<action>"),
        "gifts": serializers.ListField(), "fee_waivers": serializers.ListField()})
    lapse_risk = inline_serializer("PolicyLapseRiskOut", {
        "policy": serializers.IntegerField(), "policy_number": serializers.CharField(),
        "as_of": serializers.DateField(), "probability_90_days": serializers.FloatField(),
        "reasons": serializers.JSONField()}, many=True)


class CustomerValueView(ScopedAPIMixin, GenericAPIView):
    """A customer's value, tier, stage, entitlements and lapse risk, with their reasons."""

    access_action = Action.VIEW_VALUE
    serializer_class = CustomerValueSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(operation_id="v1_customer_value_retrieve", tags=["customers"],
                   parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, description="YYYY-MM-DD; today when absent")],
                   responses={200: CustomerValueSerializer, 400: DETAIL_ERRORS[404], **DETAIL_ERRORS})
    def get(self, request, customer_id: int):
        as_of = self._as_of(request)
        customer = customer_get(scope=self.scope, customer_id=customer_id)
        segment = customer_segment(customer_id=customer.pk, as_of=as_of)
        rights = customer_entitlements(customer_id=customer.pk, as_of=as_of)
        scores = customer_lapse_scores(
            policy_ids=policy_ids_for_customer(scope=self.scope, customer_id=customer.pk), as_of=as_of)
        data = {
            "customer": customer.pk, "as_of": as_of,
            "value": customer_value(customer_id=customer.pk, as_of=as_of),
            "segment": {"tier": rights.tier, "stage": segment.stage if segment else None,
                        "valid_from": segment.valid_from if segment else None,
                        "reasons": segment.reasons if segment else {},
                        "explanation": reasons_text(segment.reasons) if segment else {}},
            "entitlements": {name: getattr(rights, name) for name in (
                "reminder_ladder", "routing_priority", "sla_multiplier", "dedicated_manager", "gifts",
                "fee_waivers")} | {"care_events": care_of_tier(rights.tier)},
            "lapse_risk": [{"policy": s.policy_id, "policy_number": s.policy.number, "as_of": s.as_of,
                            "probability_90_days": s.score, "reasons": s.reasons} for s in scores],
        }
        return Response(self.get_serializer(data).data)

    @staticmethod
    def _as_of(request):
        raw = request.query_params.get("as_of")
        if raw is None:
            return timezone.localdate()
        field = serializers.DateField()
        try:
            return field.to_internal_value(raw)
        except serializers.ValidationError as error:
            raise ValidationError({"as_of": error.detail}) from None
