"""REST API of claims: list and read the claims of the caller's data scope (with their policies, documents, clocks,
decision and payouts), and report one (any service role, any hour).

A claim outside the scope does not exist (404); an insured named in a body outside it is a 400 naming the field;
a refusal of the service is a 400 (`refused`) in the request's language.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import django_filters
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from lifecrm.claims import selectors, services
from lifecrm.claims.models import (
    Cause,
    Channel,
    Claim,
    ClaimDocument,
    ClaimPolicy,
    ClaimType,
    Outcome,
    Payout,
    Status,
)
from lifecrm.core.money import AMOUNT_DIGITS
from lifecrm.org.access import AccessDenied
from lifecrm.org.api import DETAIL_ERRORS, LIST_ERRORS, WRITE_ERRORS, NamedChoiceField, ScopedAPIMixin
from lifecrm.org.filtersets import BIGINT_MAX, IdFilter
from lifecrm.org.rules import Action
from lifecrm.parties.api import CustomerRefSerializer
from lifecrm.parties.selectors import customers_in_scope


class ClaimPolicySerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="policy.number")

    class Meta:
        model = ClaimPolicy
        fields = ["policy", "number", "covered", "benefit", "approved_amount", "true_annual_premium"]


class ClaimDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimDocument
        fields = ["code", "received_on", "requested_on"]


class PayoutSerializer(serializers.ModelSerializer):
    share = serializers.SerializerMethodField(help_text="the payee's exact share of the policy's amount, e.g. 1/3")
    status = NamedChoiceField(Payout.Status.choices, enum_name="PayoutStatusEnum")

    class Meta:
        model = Payout
        fields = ["policy", "payee_name", "payee_key", "estate", "share", "amount", "currency", "account_last4",
                  "end_to_end_id", "status", "sent_on", "advance"]

    def get_share(self, payout: Payout) -> str:
        return str(payout.share)


class ClaimSerializer(serializers.ModelSerializer):
    insured = CustomerRefSerializer()
    claim_type = NamedChoiceField(ClaimType.choices, enum_name="ClaimTypeEnum")
    cause = NamedChoiceField(Cause.choices, enum_name="ClaimCauseEnum")
    channel = NamedChoiceField(Channel.choices, enum_name="ClaimChannelEnum")
    status = NamedChoiceField(Status.choices, enum_name="ClaimStatusEnum")
    outcome = serializers.ChoiceField(Outcome.choices, allow_blank=True)
    policies = ClaimPolicySerializer(source="claim_policies", many=True, read_only=True)
    documents = ClaimDocumentSerializer(many=True, read_only=True)
    payouts = PayoutSerializer(many=True, read_only=True)
    rescission_lapses_on = serializers.SerializerMethodField(
        help_text="the last day the insurer may rescind for the cause learned on `learned_on` (none without it)")

    class Meta:
        model = Claim
        fields = ["id", "number", "claim_type", "cause", "insured", "claimant_name", "claimant_email", "claimant_address",
                  "claimant_language", "event_date", "channel",
                  "reported_at", "first_receipt", "status", "small", "amount_claimed", "documents_complete_on",
                  "decision_due", "simple_decision_due", "advance_payment_due", "refusal_notice_due", "payment_due",
                  "clock_stopped", "outcome", "reasons", "approved_amount", "decided_on", "paid_on", "learned_on",
                  "rescission_lapses_on", "true_birth_date", "policies", "documents", "payouts"]

    def get_rescission_lapses_on(self, claim: Claim) -> date | None:
        return services.rescission_lapses_on(claim)


class ClaimReportSerializer(serializers.Serializer):
    insured = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, help_text="id of a customer in your scope")
    claim_type = NamedChoiceField(ClaimType.choices, enum_name="ClaimTypeEnum")
    cause = NamedChoiceField(Cause.choices, enum_name="ClaimCauseEnum")
    event_date = serializers.DateField()
    channel = NamedChoiceField(Channel.choices, enum_name="ClaimChannelEnum")
    claimant_name = serializers.CharField(max_length=100)
    claimant_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    claimant_relation = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    claimant_email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    claimant_address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                             help_text="where the claimant's letters go (blank: the insured's)")
    claimant_language = serializers.ChoiceField(choices=[("", ""), *settings.LANGUAGES], required=False,
                                                default="", help_text="blank: the insured's preferred language")
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    amount_claimed = serializers.DecimalField(max_digits=AMOUNT_DIGITS + 2, decimal_places=2, min_value=Decimal("0.01"),
                                              required=False, allow_null=True, default=None)


class TruePremiumSerializer(serializers.Serializer):
    policy = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, help_text="id of a policy of the claim")
    annual_premium = serializers.DecimalField(max_digits=AMOUNT_DIGITS + 2, decimal_places=2, allow_null=True,
                                              help_text="the annual premium at the true age; null clears it")


class ClaimFactsSerializer(serializers.Serializer):
    """What the assessment reads beyond the policy; a field left out keeps its value."""

    learned_on = serializers.DateField(required=False, allow_null=True,
                                       help_text="the day the insurer learned the cause for rescission")
    true_birth_date = serializers.DateField(required=False, allow_null=True,
                                            help_text="the insured's true birth date (misstated age)")
    true_premiums = TruePremiumSerializer(many=True, required=False)

    def validate(self, attrs):
        if not attrs:
            raise ValidationError(_("Give at least one fact to record."), code="empty")
        return attrs


class ClaimFilterSet(django_filters.FilterSet):
    insured = IdFilter(field_name="insured_id", label=gettext_lazy("insured (id)"))
    status = django_filters.ChoiceFilter(choices=Status.choices)
    claim_type = django_filters.ChoiceFilter(choices=ClaimType.choices)

    class Meta:
        model = Claim
        fields = ["insured", "status", "claim_type"]


@extend_schema_view(
    list=extend_schema(tags=["claims"], responses={200: ClaimSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(tags=["claims"], responses={200: ClaimSerializer, **DETAIL_ERRORS}),
    create=extend_schema(
        tags=["claims"], request=ClaimReportSerializer, responses={201: ClaimSerializer, **WRITE_ERRORS},
        description="Report a claim (any channel, any hour): linked to every policy of the insured, with its "
                    "document checklist and clocks. Every service role. 400: a bad field, an insured outside your "
                    "scope or the insured of no policy, an event date in the future."),
)
class ClaimViewSet(ScopedAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Claims of the caller's data scope, newest first (filter `insured` for one customer's)."""

    filterset_class = ClaimFilterSet
    lookup_value_regex = r"[0-9]{1,18}"
    access_actions = {"create": Action.REPORT_CLAIM, "facts": Action.HANDLE_CLAIM}

    def get_queryset(self):
        return (selectors.claims_in_scope(self.scope).select_related("insured")
                .prefetch_related("claim_policies__policy", "documents", "payouts").order_by("-reported_at", "-id"))

    def get_serializer_class(self):
        return {"create": ClaimReportSerializer, "facts": ClaimFactsSerializer}.get(self.action, ClaimSerializer)

    @extend_schema(tags=["claims"], request=ClaimFactsSerializer, responses={200: ClaimSerializer, **WRITE_ERRORS},
                   description="Record the facts the assessment reads: the day the insurer learned the cause for "
                               "rescission, the insured's true birth date and each policy's annual premium at the "
                               "true age. Before the decision; an assessed claim must be assessed again. Claims "
                               "handlers and management.")
    @action(detail=True, methods=["post"])
    def facts(self, request, pk=None):
        claim = self.get_object()
        incoming = ClaimFactsSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        premiums = {row["policy"]: row["annual_premium"] for row in data.get("true_premiums", [])}
        try:
            services.claim_facts_record(
                actor=request.user, claim_id=claim.pk, as_of=timezone.localdate(), true_premiums=premiums,
                learned_on=data["learned_on"] if "learned_on" in data else claim.learned_on,
                true_birth_date=data["true_birth_date"] if "true_birth_date" in data else claim.true_birth_date)
        except services.ClaimRefused as error:
            raise ValidationError({error.field or "non_field_errors": [ErrorDetail(str(error), code="refused")]}
                                  ) from None
        except AccessDenied as error:
            raise exceptions.PermissionDenied(error.user_message or None) from None
        return Response(ClaimSerializer(self.get_queryset().get(pk=claim.pk)).data)

    def create(self, request, *args, **kwargs):
        incoming = ClaimReportSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        insured = customers_in_scope(self.scope).filter(pk=data["insured"]).first()
        if insured is None:
            raise ValidationError({"insured": [ErrorDetail(_("No such customer in your scope."),
                                                           code="no_such_customer")]})
        try:
            claim = services.claim_report(
                actor=request.user, insured=insured, claim_type=data["claim_type"], cause=data["cause"],
                event_date=data["event_date"], channel=data["channel"], reported_at=timezone.now(),
                as_of=timezone.localdate(), claimant_name=data["claimant_name"],
                claimant_phone=data["claimant_phone"], claimant_relation=data["claimant_relation"],
                description=data["description"], amount_claimed=data["amount_claimed"],
                claimant_email=data["claimant_email"], claimant_address=data["claimant_address"],
                claimant_language=data["claimant_language"])
        except services.ClaimRefused as error:
            raise ValidationError({error.field or "non_field_errors": [ErrorDetail(str(error), code="refused")]}
                                  ) from None
        body = ClaimSerializer(self.get_queryset().get(pk=claim.pk)).data
        return Response(body, status=status.HTTP_201_CREATED,
                        headers={"Location": f"{request.path.rstrip('/')}/{claim.pk}/"})
