"""Fuzzing the API against its OpenAPI schema in-process (schemathesis over WSGI), shared by the API tests."""
from __future__ import annotations

import pytest
from django.core import signals
from django.db import close_old_connections


@pytest.fixture(name="wsgi_keeps_the_test_connection")
def wsgi_connection_fixture():
    """A WSGI call fires request_started/finished, whose close_old_connections would close the test's
    connection mid-transaction; Django's own test client disconnects it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def wsgi_schema():
    """The project's schema at /api/schema/, called through the WSGI application. Load it at collection:
    schemathesis 4.32's lazy `from_fixture` reads pytest's removed Node._nodeid."""
    import schemathesis
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
