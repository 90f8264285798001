"""The probes: `/healthz` (is this deployment healthy?) and `/readyz` (may the load balancer send requests here?).

`/healthz` checks the database (a query), the migrations (none left to apply) and, with LIFECRM_JOBS=celery,
the broker (a connection within LIFECRM_HEALTH_BROKER_TIMEOUT seconds); it answers 200 when every check is
"ok", 503 otherwise. `/readyz` only asks the database, so a load balancer may call it every few seconds.
Both need no login and say nothing an outsider may not know: a check's name and "ok" or "failing"; the cause
goes to the log.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)
OK, FAILING = "ok", "failing"
# Migrations, once all applied, stay applied for the life of the process (only a new release brings new ones).
_migrations_applied = False


def _database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure of the database is the answer, not an error of the probe
        logger.warning("health: the database does not answer", exc_info=True)
        return FAILING
    return OK


def _migrations() -> str:
    global _migrations_applied
    if _migrations_applied:
        return OK
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:
        logger.warning("health: the migrations could not be read", exc_info=True)
        return FAILING
    if plan:
        logger.warning("health: %d migrations are not applied (run `lifecrm migrate`)", len(plan))
        return FAILING
    _migrations_applied = True
    return OK


def _broker() -> str:
    from kombu import Connection

    timeout = settings.LIFECRM_HEALTH_BROKER_TIMEOUT
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout,
                        transport_options={"socket_timeout": timeout, "max_retries": 0}) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
            connection.default_channel  # noqa: B018  a transport that connects lazily (Redis) connects here
    except Exception:
        logger.warning("health: the Celery broker does not answer", exc_info=True)
        return FAILING
    return OK


def _answer(checks: dict[str, str]) -> JsonResponse:
    healthy = all(value == OK for value in checks.values())
    return JsonResponse({"status": OK if healthy else FAILING, "checks": checks}, status=200 if healthy else 503)


@never_cache
@require_safe
def healthz(request):
    checks = {"database": _database()}
    checks["migrations"] = _migrations() if checks["database"] == OK else FAILING
    if settings.LIFECRM_JOBS == "celery":
        checks["broker"] = _broker()
    return _answer(checks)


@never_cache
@require_safe
def readyz(request):
    return _answer({"database": _database()})
