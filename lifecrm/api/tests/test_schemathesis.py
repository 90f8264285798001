"""The read endpoints keep to their OpenAPI schema under fuzzing (schemathesis, positive and negative data)."""
from __future__ import annotations

import pytest
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev extra: pip install schemathesis")


@pytest.fixture
def _wsgi_keeps_the_test_connection():
    """A WSGI call fires request_started/finished, whose close_old_connections would close the test's
    connection mid-transaction; Django's own test client disconnects it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def hq_token(related_world) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=related_world.staff["hq"].user).key


def _load_schema():
    # Loaded at collection: schemathesis 4.32's lazy `from_fixture` reads pytest's removed Node._nodeid.
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


schema = _load_schema()


@schema.include(method="GET").parametrize()  # the payments POST: billing/tests/test_api_payments.py
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_read_endpoints_keep_to_the_schema(case, hq_token, _wsgi_keeps_the_test_connection):
    case.call_and_validate(headers={"Authorization": f"Token {hq_token}"})
