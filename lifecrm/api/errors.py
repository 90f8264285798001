"""API errors: one JSON shape, never a stack trace."""
import logging

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    logger.exception("unhandled API error", exc_info=exc)
    return Response({"detail": "Internal error; it has been logged."}, status=500)
