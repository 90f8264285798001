"""The read endpoints keep to their OpenAPI schema under fuzzing (schemathesis, positive and negative data)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from tests.api_schema import wsgi_connection_fixture, wsgi_schema  # noqa: F401  (the *_fixture is a fixture)

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev extra: pip install schemathesis")


@pytest.fixture
def hq_token(related_world) -> str:
    from knox.models import AuthToken

    return AuthToken.objects.create(user=related_world.staff["hq"].user)[1]


schema = wsgi_schema()


@schema.include(method="GET").parametrize()  # the payments POST: billing/tests/test_api.py
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_read_endpoints_keep_to_the_schema(case, hq_token, wsgi_keeps_the_test_connection):
    case.call_and_validate(headers={"Authorization": f"Token {hq_token}"})
