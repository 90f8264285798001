"""REST API of the organisation: the caller's staff record and scope, and the plumbing every app's API shares.

The shared pieces (the scoped view mixin with `org.access`'s permission, pagination, the error shape for the
schema, strict filtering) live here because every app API depends on the caller's data scope, which
org owns, and org is the lowest app with an API: parties and policies may import it, not the reverse.
"""
from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.auth import TokenAuthentication
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from lifecrm.org.access import StaffMayAct
from lifecrm.org.logins import KnownSchemeOnly
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.rules import Action, DataScope, ScopeKind, may_reveal_id
from lifecrm.org.selectors import data_scope_for_user, staff_for_user


class ApiPagination(PageNumberPagination):
    """Pages of 50 rows; `page` and `page_size` must be whole numbers in range, else a 400 saying so.

    (DRF's own pagination silently ignores a bad `page_size`; a page past the end stays a 404.)
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()

    def get_page_size(self, request) -> int:
        return _whole_number(request, self.page_size_query_param, self.page_size, maximum=self.max_page_size)

    def get_page_number(self, request, paginator) -> int:
        return _whole_number(request, self.page_query_param, 1)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = f"Number of results to return per page (default {self.page_size})."
        return parameters


def _whole_number(request, name: str, default: int, *, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationError({name: [_("Enter a whole number of at least 1.")]}, code="invalid")
    if maximum is not None and int(raw) > maximum:
        raise ValidationError(
            {name: [_("Enter a whole number of at most %(maximum)s.") % {"maximum": maximum}]}, code="max_value"
        )
    return int(raw)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter for an API: an unknown query parameter, or an empty value for a typed one (a number,
    a date, a choice), is a 400 naming the parameter, where HTML-form habits would silently ignore it."""

    always_allowed = frozenset({"page", "page_size"})

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        filters = {}
        if filterset_class is not None:
            for name, filter_ in filterset_class.base_filters.items():
                filters.update(dict.fromkeys(_param_names(name, filter_), filter_))
        known = self.always_allowed | set(filters)
        errors = {}
        for name in sorted(set(request.query_params) - known):
            errors[name] = [ErrorDetail(
                _("Unknown query parameter; allowed: %(allowed)s.") % {"allowed": ", ".join(sorted(known))},
                code="unknown_parameter",
            )]
        for name, filter_ in filters.items():
            typed = not isinstance(filter_, django_filters.CharFilter)
            if typed and name in request.query_params and not request.query_params[name].strip():
                errors[name] = [ErrorDetail(_("This parameter may not be empty."), code="blank")]
        if errors:
            raise ValidationError(errors)
        return super().filter_queryset(request, queryset, view)


def _param_names(name: str, filter_) -> list[str]:
    """The query parameters one filter reads (a date range reads `<name>_after` and `<name>_before`)."""
    suffixes = getattr(getattr(filter_.field_class, "widget", None), "suffixes", None)
    if suffixes:
        return [f"{name}_{suffix}" if suffix else name for suffix in suffixes]
    return [name]


class ScopedAPIMixin:
    """Token or session login, an active staff record whose role may take the view's `access_action` (or
    `access_actions` by viewset action; `org.access.StaffMayAct`), and `self.scope`: the caller's data scope.

    Token first, so an anonymous call is answered 401 with `WWW-Authenticate: Token`; before it, an
    Authorization header of any other scheme is a 401 (never ignored in favour of the session cookie).
    Tokens are knox's: stored hashed, expiring, revocable (`lifecrm api-token`).
    """

    authentication_classes = [KnownSchemeOnly, TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, StaffMayAct]
    access_action = Action.USE_WORKBENCH
    pagination_class = ApiPagination
    filter_backends = [StrictFilterBackend]

    @property
    def scope(self) -> DataScope:
        return data_scope_for_user(self.request.user)


class ApiErrorSerializer(serializers.Serializer):
    """Every error answer of the API (built by lifecrm.api.errors.exception_handler)."""

    status = serializers.IntegerField()
    code = serializers.CharField(help_text="machine-readable: invalid, not_authenticated, not_found, …")
    detail = serializers.CharField(help_text="human-readable, in the request's language")
    fields = serializers.DictField(
        child=serializers.ListField(
            child=inline_serializer(
                "ApiFieldError", {"code": serializers.CharField(), "message": serializers.CharField()}
            )
        ),
        required=False,
        help_text="for 400 answers: each bad field or query parameter with its reasons",
    )


AUTH_ERRORS = {401: ApiErrorSerializer, 403: ApiErrorSerializer}
# A list answers 404 for a page number past its end.
LIST_ERRORS = {400: ApiErrorSerializer, 404: ApiErrorSerializer, **AUTH_ERRORS}
DETAIL_ERRORS = {404: ApiErrorSerializer, **AUTH_ERRORS}
# A write answers 415 for a body in a media type it does not parse (or a multipart body it cannot split).
WRITE_ERRORS = {400: ApiErrorSerializer, 415: ApiErrorSerializer, **AUTH_ERRORS}


class NamedChoiceField(serializers.ChoiceField):
    """A choice field whose choice set is the one schema component `enum_name` wherever it appears.

    drf-spectacular names enums after the field; several `kind` fields with different choices
    would otherwise collide (a warning, which fails `spectacular --fail-on-warn`).
    """

    def __init__(self, choices, *, enum_name: str, **kwargs) -> None:
        self.enum_name = enum_name
        super().__init__(choices, **kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField
    match_subclasses = True

    def get_name(self) -> str:
        return self.target.enum_name

    def map_serializer_field(self, auto_schema, direction) -> dict:
        return {
            "type": "string",
            "enum": list(self.target.choices),
            "description": "\n".join(f"* `{key}` - {label}" for key, label in self.target.choices.items()),
        }


class OrgUnitRefSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(OrgUnit.Kind.choices, enum_name="OrgUnitKindEnum")

    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "kind"]


class StaffRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Staff
        fields = ["id", "employee_no", "name"]


class StaffSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display")
    org_unit = OrgUnitRefSerializer()

    class Meta:
        model = Staff
        fields = ["id", "employee_no", "name", "name_romanised", "role", "role_label", "org_unit"]


class DataScopeSerializer(serializers.Serializer):
    kind = NamedChoiceField([k.value for k in ScopeKind], enum_name="ScopeKindEnum")
    unit_path = serializers.CharField(help_text="materialised path of the caller's org unit")
    may_reveal_id = serializers.BooleanField(help_text="whether the caller's role may see full ID numbers")


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    staff = StaffSerializer()
    scope = DataScopeSerializer()


class MeView(ScopedAPIMixin, GenericAPIView):
    """The caller's staff record and data scope."""

    serializer_class = MeSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(operation_id="v1_me_retrieve", responses={200: MeSerializer, **AUTH_ERRORS}, tags=["me"])
    def get(self, request):
        scope = self.scope
        staff = staff_for_user(request.user)
        data = {
            "username": request.user.get_username(),
            "staff": staff,
            "scope": {"kind": scope.kind.value, "unit_path": scope.unit_path, "may_reveal_id": may_reveal_id(scope)},
        }
        return Response(self.get_serializer(data).data)
