"""REST API of customers: list with filters and search, detail with consents and relationships (read-only).

The detail's in-scope policy ids are added by lifecrm.policies.api, which subclasses this viewset:
policies depend on parties, never the reverse.
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from lifecrm.core.masking import mask_identifier, mask_phone
from lifecrm.org.api import (
    DETAIL_ERRORS,
    LIST_ERRORS,
    NamedChoiceField,
    OrgUnitRefSerializer,
    ScopedAPIMixin,
    StaffRefSerializer,
)
from lifecrm.parties.filtersets import CustomerFilterSet
from lifecrm.parties.models import Consent, Customer
from lifecrm.parties.selectors import (
    FORWARD_LABELS,
    INVERSE_LABELS,
    customer_consents,
    customer_get,
    customer_relationships,
    customers_in_scope,
)

# How many characters the masked ID shows in all; only the last four are real.
ID_MASK_LENGTHS = {"prc_id": 18, "uscc": 18, "tw_id": 10, "hk_id": 10, "passport": 9}


class CustomerRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "number", "name"]


class CustomerListSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(Customer.Kind.choices, enum_name="CustomerKindEnum")
    branch = OrgUnitRefSerializer()
    servicing_agent = StaffRefSerializer(allow_null=True)
    mobile_phone_masked = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id", "number", "kind", "name", "name_romanised", "sex", "birth_date", "branch", "servicing_agent",
            "mobile_phone_masked",
        ]

    @extend_schema_field(serializers.CharField())
    def get_mobile_phone_masked(self, customer: Customer) -> str:
        return mask_phone(customer.mobile_phone)


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = ["purpose", "granted", "at", "source"]


class RelatedCustomerSerializer(serializers.Serializer):
    label = serializers.ChoiceField(
        choices=sorted(set(FORWARD_LABELS.values()) | set(INVERSE_LABELS.values())),
        help_text="what the other customer is to this one",
    )
    since = serializers.DateField(allow_null=True)
    in_scope = serializers.BooleanField(help_text="whether the caller may open the other customer")
    customer = serializers.SerializerMethodField(help_text="the other customer; null when outside your scope")

    @extend_schema_field(CustomerRefSerializer(allow_null=True))
    def get_customer(self, related) -> dict | None:
        return CustomerRefSerializer(related.customer).data if related.in_scope else None


class CustomerDetailSerializer(CustomerListSerializer):
    id_number_masked = serializers.SerializerMethodField(help_text="only the last four characters are shown")
    employer = CustomerRefSerializer(allow_null=True)
    consents = ConsentSerializer(
        many=True, source="consents_in_force", help_text="the consent in force for each purpose"
    )
    relationships = RelatedCustomerSerializer(many=True, source="related_customers")

    class Meta(CustomerListSerializer.Meta):
        fields = [
            *CustomerListSerializer.Meta.fields,
            "id_type", "id_number_masked", "date_of_death", "mobile_phone", "home_phone", "email", "address",
            "postcode", "jurisdiction", "preferred_language", "preferred_channel", "occupation",
            "occupation_class", "employer", "created_at", "consents", "relationships",
        ]

    @extend_schema_field(serializers.CharField())
    def get_id_number_masked(self, customer: Customer) -> str:
        return mask_identifier(customer.id_number_last4, ID_MASK_LENGTHS.get(customer.id_type, 18))


@extend_schema_view(
    list=extend_schema(tags=["customers"], responses={200: CustomerListSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(tags=["customers"], responses={200: CustomerDetailSerializer, **DETAIL_ERRORS}),
)
class CustomerViewSet(ScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Customers in the caller's data scope; anything outside it does not exist (404)."""

    filterset_class = CustomerFilterSet
    lookup_value_regex = r"[0-9]{1,18}"
    detail_serializer_class = CustomerDetailSerializer

    def get_queryset(self):
        return customers_in_scope(self.scope).select_related("branch", "servicing_agent")

    def get_serializer_class(self):
        return self.detail_serializer_class if self.action == "retrieve" else CustomerListSerializer

    def retrieve(self, request, *args, **kwargs):
        customer = customer_get(scope=self.scope, customer_id=int(kwargs[self.lookup_field]))
        self.load_detail(customer)
        return Response(self.get_serializer(customer).data)

    def load_detail(self, customer: Customer) -> None:
        """Attach what the detail shows beyond the customer's own columns (a fixed number of queries)."""
        customer.consents_in_force = customer_consents(customer=customer)
        customer.related_customers = customer_relationships(scope=self.scope, customer=customer)
