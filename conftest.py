"""Test settings shared by every app's tests."""
import os

os.environ.setdefault("LIFECRM_ENV", "test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import asyncio  # noqa: E402

import pytest  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

# A real SMTP server (aiosmtpd) for any app's tests: the fixture `smtp`.
pytest_plugins = ["tests.smtp_server"]

# No timing thresholds in tests (the machines are shared and noisy): hypothesis's default 200 ms deadline per
# example failed a paging property under load. Example counts stay hypothesis's own.
hypothesis_settings.register_profile("lifecrm", deadline=None)
hypothesis_settings.load_profile("lifecrm")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, the test database's tables are never analysed behind the tests' backs: autovacuum off. An
    ANALYZE of the few rows a transactional test committed made the planner's choices (the query-plan checks,
    tests/query_plans.py) depend on when autovacuum last ran."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("SELECT format('ALTER TABLE %I SET (autovacuum_enabled = off)', relname) FROM pg_class "
                           "WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace")
            for (statement,) in cursor.fetchall():
                cursor.execute(statement)


@pytest.fixture(autouse=True)
def _outboxes_in_tmp(settings, tmp_path_factory):
    """SMS, letters and case attachments written by tests go to a temporary folder, never to var/."""
    outbox = tmp_path_factory.mktemp("outbox")
    settings.LIFECRM_SMS_OUTBOX = outbox / "sms"
    settings.LIFECRM_LETTER_OUTBOX = outbox / "letters"
    settings.LIFECRM_CASE_ATTACHMENTS = outbox / "case-attachments"


@pytest.fixture
def english():
    """English for the test's duration (`pytestmark = pytest.mark.usefixtures("english")`): the services' refusals
    and messages are checked in their English source, whatever language an earlier test left active."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _clear_kernel_caches():
    from lifecrm.core.selectors import clear_caches

    clear_caches()
    yield
    clear_caches()


def _close_connections(loop) -> None:
    """Close the thread's connections and those Django keeps while `loop` runs (between tests no transaction is open)."""
    from django.db import connections

    if loop is not None:
        asyncio._set_running_loop(None)
        try:
            connections.close_all()
        finally:
            asyncio._set_running_loop(loop)
    connections.close_all()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Every test but the browser's sees its thread as the plain thread it is, with one set of connections.

    Playwright's synchronous API (a session fixture) leaves its event loop "running" in this thread, and Django
    keeps a thread's connections in context-local rather than thread-local storage while a loop runs: without
    this, the tests after the first browser test of a worker would use a second set of connections, and the
    first set would stay open unseen (a second session on the test database: CREATE DATABASE … TEMPLATE refuses
    to copy it). So outside the browser tests no loop is running, and around a browser test both sets close.
    The last test of a worker keeps the loop too: Playwright's session fixtures close in its teardown, and they
    need their loop running.
    """
    loop = asyncio._get_running_loop()
    if item.get_closest_marker("browser") or nextitem is None:
        _close_connections(loop)
        yield
        _close_connections(asyncio._get_running_loop())
        return
    if loop is not None:
        asyncio._set_running_loop(None)
    try:
        yield
    finally:
        if loop is not None:
            asyncio._set_running_loop(loop)
