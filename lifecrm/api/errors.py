"""API errors: one JSON shape for every error answer, never a stack trace.

    {"status": 400, "code": "invalid", "detail": "Invalid input.",
     "fields": {"kind": [{"code": "invalid_choice", "message": "Select a valid choice. …"}]}}

`fields` appears only on 400 answers. `detail` is in the request's language (Accept-Language, or the
user's choice); `code` is not. No answer names an internal model: Django's 404 message does ("No
SuspenseAccount matches the given query."), so a 404 says DRF's translated "Not found." instead.
The shape is described for the schema by lifecrm.org.api.ApiErrorSerializer.
"""
from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

NON_FIELD_KEY = "non_field_errors"


def _field_errors(detail) -> dict[str, list[dict[str, str]]]:
    """DRF's nested `detail` (dict, list or string of ErrorDetail) as {field: [{code, message}]}."""
    if isinstance(detail, dict):
        result: dict[str, list[dict[str, str]]] = {}
        for key, value in detail.items():
            name = NON_FIELD_KEY if key in ("__all__", NON_FIELD_KEY) else str(key)
            for nested_key, errors in _field_errors(value).items():
                full = name if nested_key == NON_FIELD_KEY else f"{name}.{nested_key}"
                result.setdefault(full, []).extend(errors)
        return result
    if isinstance(detail, list):
        errors: list[dict[str, str]] = []
        result = {}
        for index, item in enumerate(detail):
            if isinstance(item, dict):
                for nested_key, nested in _field_errors(item).items():
                    result.setdefault(f"{index}.{nested_key}", []).extend(nested)
            else:
                errors.extend(_field_errors(item)[NON_FIELD_KEY])
        if errors:
            result[NON_FIELD_KEY] = errors + result.get(NON_FIELD_KEY, [])
        return result
    return {NON_FIELD_KEY: [{"code": getattr(detail, "code", None) or "invalid", "message": str(detail)}]}


def error_body(*, status_code: int, code: str, detail: str, fields: dict | None = None) -> dict:
    body = {"status": status_code, "code": code, "detail": str(detail)}
    if fields:
        body["fields"] = fields
    return body


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_KEY: exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()  # never Django's text: it names the model, in English
    response = drf_exception_handler(exc, context)
    if response is None:
        set_rollback()
        logger.exception("unhandled API error", exc_info=exc)
        return Response(
            error_body(status_code=500, code="server_error", detail=_("Internal error; it has been logged.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(status_code=response.status_code, code="invalid", detail=_("Invalid input."),
                          fields=_field_errors(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data.get("detail", "")
        code = detail.code if hasattr(detail, "code") else exc.__class__.__name__.lower()
        body = error_body(status_code=response.status_code, code=code, detail=str(detail))
    response.data = body
    return response


@csrf_exempt  # a POST to no endpoint is a JSON 404, not the CSRF check's HTML 403: nothing is written here
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any /api/ address that matches no endpoint: the same JSON shape, never the workbench's HTML page."""
    return JsonResponse(
        error_body(status_code=404, code="not_found", detail=_("No API endpoint at this address.")), status=404
    )
