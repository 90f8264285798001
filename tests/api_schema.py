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
    """The project's schema (what /api/schema/ serves to a logged-in caller), generated in-process and called
    through the WSGI application. Load it at collection (schemathesis 4.32's lazy `from_fixture` reads
    pytest's removed Node._nodeid); /api/schema/ itself needs a login, which collection has not."""
    import json

    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = get_wsgi_application()
    return loaded
