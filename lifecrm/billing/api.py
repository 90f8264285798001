"""REST API of renewal collection: due premiums (read-only), payments (list, detail, counter payments) and
money in suspense (read-only, branch and HQ roles, as the page).

Everything is scoped through the policy: a due item or a payment of a policy outside the caller's data
scope does not exist (404). `POST /api/v1/payments/` books a counter or bank-transfer payment through
`services.payment_record` with the counter page's own checks (`forms.counter_payment_book`): 400 with
the field and the reason, 409 when the slip (the natural key `counter:<branch code>:<reference>`) is
already booked, 403 for roles that do not take payments.
"""
from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import APIException, ErrorDetail, ValidationError
from rest_framework.response import Response

from lifecrm.billing.forms import (
    AMOUNT_ERRORS,
    COUNTER_METHODS,
    SLIP_PATTERN,
    CounterPayment,
    PaymentInputError,
    counter_payment_book,
    policy_for_payment,
)
from lifecrm.billing.models import Allocation, DueItem, Payment, SuspenseAccount
from lifecrm.billing.selectors import suspense_balance
from lifecrm.core.money import AMOUNT_DIGITS, AMOUNT_HTML_PATTERN, BALANCE_DIGITS, AmountInvalid, parse_amount
from lifecrm.core.selectors import deadline_is_provisional
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
from lifecrm.org.rules import Action
from lifecrm.org.selectors import staff_for_user
from lifecrm.policies.models import STATUS_CHOICES, Policy
from lifecrm.policies.selectors import policies_in_scope


class PolicyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Policy
        fields = ["id", "number"]


# -- due items -----------------------------------------------------------------------------------------

class DueItemSerializer(serializers.ModelSerializer):
    policy = PolicyRefSerializer()
    kind = NamedChoiceField(DueItem.Kind.choices, enum_name="DueItemKindEnum")
    status = NamedChoiceField(DueItem.Status.choices, enum_name="DueItemStatusEnum")
    outstanding = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="amount − paid")
    grace_end_provisional = serializers.SerializerMethodField(
        help_text="true when grace_end falls in a year whose official calendar is not published (or not loaded) yet: "
                  "it may move when that calendar is loaded")

    class Meta:
        model = DueItem
        fields = ["id", "policy", "kind", "instalment", "due_date", "amount", "paid_amount", "outstanding", "currency",
                  "status", "grace_end", "grace_end_provisional", "demand_arrived", "paid_on", "raised_on"]

    def get_grace_end_provisional(self, item: DueItem) -> bool:
        return deadline_is_provisional(item.policy.jurisdiction_id, item.grace_end)


class DueItemFilterSet(django_filters.FilterSet):
    policy = IdFilter(field_name="policy_id", label=_("policy (id)"))
    status = django_filters.ChoiceFilter(choices=DueItem.Status.choices)
    due_date = django_filters.DateFromToRangeFilter(label=_("due date between (inclusive)"))

    class Meta:
        model = DueItem
        fields = ["policy", "status", "due_date"]


def _in_scope(scope):
    return policies_in_scope(scope).values("pk")


@extend_schema_view(
    list=extend_schema(tags=["billing"], responses={200: DueItemSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(tags=["billing"], responses={200: DueItemSerializer, **DETAIL_ERRORS}),
)
class DueItemViewSet(ScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Premiums (and interest on arrears) due by policies in the caller's data scope, by due date."""

    serializer_class = DueItemSerializer
    filterset_class = DueItemFilterSet
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return (DueItem.objects.filter(policy__in=_in_scope(self.scope)).select_related("policy")
                .order_by("policy__number", "due_date", "kind", "instalment", "id"))


# -- payments ------------------------------------------------------------------------------------------

class AllocationSerializer(serializers.ModelSerializer):
    due_date = serializers.DateField(source="due_item.due_date")
    instalment = serializers.IntegerField(source="due_item.instalment")
    kind = NamedChoiceField(DueItem.Kind.choices, enum_name="DueItemKindEnum", source="due_item.kind")

    class Meta:
        model = Allocation
        fields = ["due_item", "due_date", "instalment", "kind", "amount"]


class PaymentSerializer(serializers.ModelSerializer):
    policy = PolicyRefSerializer()
    method = NamedChoiceField(Payment.Method.choices, enum_name="PremiumPaymentMethodEnum")
    booked_by = StaffRefSerializer(allow_null=True)
    reference = serializers.CharField(source="natural_key", help_text="what makes the payment unique (its source)")
    reversed = serializers.BooleanField(help_text="true when a later reversal took this payment back")
    allocations = AllocationSerializer(many=True, help_text="the premiums this payment (or reversal) paid")

    class Meta:
        model = Payment
        fields = ["id", "receipt_no", "policy", "amount", "currency", "method", "received_on", "booked_at",
                  "booked_by", "reference", "reverses", "reversed", "note", "allocations"]


class PaymentReceiptSerializer(PaymentSerializer):
    policy_status = NamedChoiceField(STATUS_CHOICES, enum_name="PolicyStatusEnum", source="policy.status",
                                     help_text="the policy's status after the payment")
    suspense = serializers.DecimalField(max_digits=BALANCE_DIGITS + 2, decimal_places=2,
                                        help_text="money of the policy waiting for its next premium")

    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "policy_status", "suspense"]


@extend_schema_field({"type": "string", "pattern": f"^{AMOUNT_HTML_PATTERN}$", "example": "241.00",
                      "minLength": 1, "maxLength": AMOUNT_DIGITS + 3})
class AmountField(serializers.Field):
    """An amount of money as `core.money.parse_amount` reads it, sent as a JSON string: a JSON number is refused,
    since the parser has already turned "1e5" into 100000.0 and the typed text is lost."""

    default_error_messages = AMOUNT_ERRORS | {"not_a_string": _('Send the amount as a string, e.g. "241.00".')}

    def to_internal_value(self, data) -> Decimal:
        if not isinstance(data, str):
            self.fail("not_a_string")
        try:
            return parse_amount(data)
        except AmountInvalid as exc:
            self.fail(exc.code)

    def to_representation(self, value) -> str:
        return f"{value:.2f}"


class PaymentCreateSerializer(serializers.Serializer):
    policy = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, help_text="id of a policy in your scope")
    amount = AmountField(help_text="the amount received: a string of digits with at most two decimals, more than "
                                   "zero (no exponent, sign or separators)")
    method = NamedChoiceField(COUNTER_METHODS, enum_name="CounterPaymentMethodEnum")
    received_on = serializers.DateField(help_text="the day the money was received: today or earlier")
    reference = serializers.RegexField(
        f"^{SLIP_PATTERN.pattern}$", max_length=40,
        help_text="the counter slip number (card or transfer: its reference); unique per branch",
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DuplicatePaymentConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "duplicate"
    default_detail = _("This slip is already booked.")


class PaymentFilterSet(django_filters.FilterSet):
    policy = IdFilter(field_name="policy_id", label=_("policy (id)"))
    method = django_filters.ChoiceFilter(choices=Payment.Method.choices)
    received_on = django_filters.DateFromToRangeFilter(label=_("received between (inclusive)"))

    class Meta:
        model = Payment
        fields = ["policy", "method", "received_on"]


FIELD_NAMES = {"slip": "reference", "confirmation": "amount", "__all__": "non_field_errors"}
"""The API's field for each of the counter check's: a payment that needs a senior's confirmation is an amount the
API refuses (the confirmation is given at the counter page, where the colleague types their own login)."""


@extend_schema_view(
    list=extend_schema(tags=["billing"], responses={200: PaymentSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(tags=["billing"], responses={200: PaymentSerializer, **DETAIL_ERRORS}),
    create=extend_schema(
        tags=["billing"], request=PaymentCreateSerializer,
        responses={201: PaymentReceiptSerializer, 409: ApiErrorSerializer, **WRITE_ERRORS},
        description="Book a payment taken at the counter (cash, card, cheque) or a bank transfer. Roles: counter, "
                    "branch, HQ. 400: a bad field, an unknown or out-of-scope policy, a policy that takes no "
                    "premium, a date after today. 409: the reference is already booked in your branch. "
                    "415: a body that is not JSON, a form or a well-formed multipart form.",
    ),
)
class PaymentViewSet(ScopedAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Payments (and their reversals) of policies in the caller's data scope, newest first."""

    filterset_class = PaymentFilterSet
    lookup_value_regex = r"[0-9]{1,18}"
    access_actions = {"create": Action.TAKE_PAYMENT}

    def get_queryset(self):
        return (Payment.objects.filter(policy__in=_in_scope(self.scope))
                .select_related("policy", "booked_by", "reversed_by")
                .prefetch_related(Prefetch("allocations", queryset=Allocation.objects.select_related("due_item")))
                .order_by("-received_on", "-id"))

    def get_serializer_class(self):
        return PaymentCreateSerializer if self.action == "create" else PaymentSerializer

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        for payment in page if page is not None else []:
            _mark_reversed(payment)
        return page

    def get_object(self):
        return _mark_reversed(super().get_object())

    def create(self, request, *args, **kwargs):
        incoming = PaymentCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            policy = policy_for_payment(scope=self.scope, policy_id=data["policy"])
            payment = counter_payment_book(
                actor=request.user, staff=staff_for_user(request.user), policy=policy, as_of=timezone.localdate(),
                payment=CounterPayment(amount=data["amount"], method=data["method"], received_on=data["received_on"],
                                       slip=data["reference"], note=data["note"]),
            )
        except PaymentInputError as error:
            if error.code == "duplicate":
                raise DuplicatePaymentConflict() from None
            name = FIELD_NAMES.get(error.field, error.field)
            raise ValidationError({name: [ErrorDetail(str(error.message), code=error.code)]}) from None
        payment = _mark_reversed(self.get_queryset().get(pk=payment.pk))
        payment.suspense = suspense_balance(policy_id=payment.policy_id)
        body = PaymentReceiptSerializer(payment, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED,
                        headers={"Location": f"{request.path.rstrip('/')}/{payment.pk}/"})


def _mark_reversed(payment: Payment) -> Payment:
    payment.reversed = hasattr(payment, "reversed_by")
    return payment


# -- money in suspense ---------------------------------------------------------------------------------

class SuspenseAccountSerializer(serializers.ModelSerializer):
    policy = PolicyRefSerializer()
    balance = serializers.DecimalField(max_digits=BALANCE_DIGITS + 2, decimal_places=2,
                                       help_text="money in suspense; negative: to recover from the payer")
    since = serializers.DateField(help_text="the business date of the booking that set this balance")

    class Meta:
        model = SuspenseAccount
        fields = ["policy", "balance", "currency", "since"]


class SuspenseAccountFilterSet(django_filters.FilterSet):
    side = django_filters.ChoiceFilter(
        choices=[("recover", _("to recover from the payer")), ("waiting", _("waiting in suspense"))],
        method="filter_side", label=_("negative balances (recover) or positive ones (waiting)"))

    class Meta:
        model = SuspenseAccount
        fields = ["side"]

    def filter_side(self, queryset, name, value):
        return queryset.filter(balance__lt=0) if value == "recover" else queryset.filter(balance__gt=0)


@extend_schema_view(
    list=extend_schema(tags=["billing"], responses={200: SuspenseAccountSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(tags=["billing"], responses={200: SuspenseAccountSerializer, **DETAIL_ERRORS}),
)
class SuspenseAccountViewSet(ScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Policies of the caller's data scope with money in suspense (one row each; none at a zero balance), the
    longest waiting first; by policy id. Branch and HQ roles only (403 otherwise), as the Money in suspense page."""

    serializer_class = SuspenseAccountSerializer
    filterset_class = SuspenseAccountFilterSet
    lookup_field = "policy_id"
    lookup_url_kwarg = "id"
    access_action = Action.MANAGE_COLLECTION
    access_refusal = _("Your role may not see money in suspense.")
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return (SuspenseAccount.objects.filter(policy__in=_in_scope(self.scope)).select_related("policy")
                .order_by("since", "policy_id"))
