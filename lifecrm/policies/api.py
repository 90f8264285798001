"""REST API of policies (list with filters; detail with current version, coverages, beneficiaries, events),
and the customer detail completed with the customer's in-scope policy ids (read-only).
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from lifecrm.org.api import (
    DETAIL_ERRORS,
    LIST_ERRORS,
    OrgUnitRefSerializer,
    ScopedAPIMixin,
    StaffRefSerializer,
)
from lifecrm.parties import api as parties_api
from lifecrm.parties.api import CustomerRefSerializer
from lifecrm.parties.models import Customer
from lifecrm.policies.filtersets import PolicyFilterSet
from lifecrm.policies.models import Beneficiary, Coverage, Policy, PolicyEvent, PolicyVersion
from lifecrm.policies.selectors import (
    next_due_date,
    policies_in_scope,
    policy_beneficiaries,
    policy_get,
    policy_ids_for_customer,
)
from lifecrm.products.models import Product


class ProductRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "code", "name", "name_en"]


class PolicyListSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    product = ProductRefSerializer()
    owner = CustomerRefSerializer()
    insured = CustomerRefSerializer()
    agent = StaffRefSerializer(allow_null=True)
    branch = OrgUnitRefSerializer()

    class Meta:
        model = Policy
        fields = [
            "id", "number", "status", "status_label", "status_date", "product", "owner", "insured", "agent",
            "branch", "channel", "currency", "issue_date", "delivered_on", "maturity_date", "paid_to_date",
        ]
        # Recorded only from the owner's signed delivery receipt (policies.services.policy_delivery_record).
        read_only_fields = ["delivered_on"]
        extra_kwargs = {"delivered_on": {
            "help_text": "the day the owner received the policy (the cooling-off period counts from it); "
                         "null until the signed delivery receipt is recorded"}}


class BeneficiarySerializer(serializers.ModelSerializer):
    share = serializers.SerializerMethodField(help_text='The exact share of the order\'s benefit, "3/5" or "1/3".')
    share_text = serializers.CharField(read_only=True, help_text='The share as people read it: "60 %" or "1/3".')

    class Meta:
        model = Beneficiary
        fields = ["name", "customer", "relation_to_insured", "order", "share", "share_text"]

    def get_share(self, beneficiary: Beneficiary) -> str:
        return str(beneficiary.share)


class PolicyVersionSerializer(serializers.ModelSerializer):
    beneficiaries = BeneficiarySerializer(many=True, source="beneficiary_list")

    class Meta:
        model = PolicyVersion
        fields = [
            "version_no", "effective_from", "effective_to", "reason", "owner", "insured", "payer", "sum_assured",
            "premium_mode", "modal_premium", "annual_premium", "payment_method", "apl_opt_in", "beneficiaries",
        ]


class CoverageSerializer(serializers.ModelSerializer):
    product = ProductRefSerializer()

    class Meta:
        model = Coverage
        fields = ["id", "product", "is_base", "sum_assured", "annual_premium", "start_date", "end_date"]


class PolicyEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField(help_text="username of who recorded it; null for the system")

    class Meta:
        model = PolicyEvent
        fields = ["seq", "kind", "from_status", "to_status", "effective_date", "recorded_at", "actor", "reason",
                  "data"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event: PolicyEvent) -> str | None:
        return event.actor.get_username() if event.actor else None


class PolicyDetailSerializer(PolicyListSerializer):
    payer = CustomerRefSerializer()
    current_version = PolicyVersionSerializer()
    next_due_date = serializers.DateField(allow_null=True, help_text="due date of the first unpaid premium")
    coverages = CoverageSerializer(many=True)
    events = PolicyEventSerializer(many=True, help_text="the policy's journal, newest first")

    class Meta(PolicyListSerializer.Meta):
        fields = [
            *PolicyListSerializer.Meta.fields, "payer", "application_date", "term_years", "premium_term_years",
            "paid_instalments", "version", "created_at", "current_version", "next_due_date", "coverages",
            "events",
        ]


@extend_schema_view(
    list=extend_schema(tags=["policies"], responses={200: PolicyListSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(tags=["policies"], responses={200: PolicyDetailSerializer, **DETAIL_ERRORS}),
)
class PolicyViewSet(ScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Policies in the caller's data scope; anything outside it does not exist (404)."""

    filterset_class = PolicyFilterSet
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return policies_in_scope(self.scope).select_related("product", "owner", "insured", "agent", "branch")

    def get_serializer_class(self):
        return PolicyDetailSerializer if self.action == "retrieve" else PolicyListSerializer

    def retrieve(self, request, *args, **kwargs):
        policy = policy_get(scope=self.scope, policy_id=int(kwargs[self.lookup_field]))
        version = policy.current_versions[0]
        version.beneficiary_list = policy_beneficiaries(version=version)
        policy.current_version = version
        policy.next_due_date = next_due_date(policy)
        return Response(self.get_serializer(policy).data)


class CustomerWithPoliciesSerializer(parties_api.CustomerDetailSerializer):
    policy_ids = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="policies in your scope where the customer is owner, insured or payer",
    )

    class Meta(parties_api.CustomerDetailSerializer.Meta):
        fields = [*parties_api.CustomerDetailSerializer.Meta.fields, "policy_ids"]


@extend_schema_view(
    retrieve=extend_schema(tags=["customers"], responses={200: CustomerWithPoliciesSerializer, **DETAIL_ERRORS})
)
class CustomerViewSet(parties_api.CustomerViewSet):
    __doc__ = parties_api.CustomerViewSet.__doc__
    detail_serializer_class = CustomerWithPoliciesSerializer

    def load_detail(self, customer: Customer) -> None:
        super().load_detail(customer)
        customer.policy_ids = policy_ids_for_customer(scope=self.scope, customer_id=customer.pk)
