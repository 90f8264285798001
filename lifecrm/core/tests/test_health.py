"""/healthz and /readyz: green on a migrated database, 503 on unapplied migrations or a silent broker."""
from __future__ import annotations

import socket

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from lifecrm.core import health
from lifecrm.core.tests.test_jobs_celery import redis_is_listening


@pytest.fixture(autouse=True)
def _forget_migrations_seen(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_healthz_green_needs_no_login_and_is_not_cached(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # SELECT 1, the applied migrations
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    assert "no-cache" in response["Cache-Control"]
    with django_assert_max_num_queries(1):  # once all applied, the migrations are not read again
        assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_healthz_503_on_an_unapplied_migration(client):
    MigrationRecorder(connection).migration_qs.filter(app="core").order_by("-id")[:1].get().delete()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "checks": {"database": "ok", "migrations": "failing"}}


@pytest.mark.django_db
def test_healthz_asks_the_broker_when_jobs_run_on_celery(client, settings):
    settings.LIFECRM_JOBS = "celery"
    settings.LIFECRM_HEALTH_BROKER_TIMEOUT = 0.5
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/15"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing",
                               "checks": {"database": "ok", "migrations": "ok", "broker": "failing"}}
    assert "127.0.0.1" not in response.content.decode()  # no detail for an outsider

    if not redis_is_listening():
        pytest.skip("Redis is not listening on 127.0.0.1:6379")
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["checks"]["broker"] == "ok"


@pytest.mark.django_db
def test_readyz_asks_only_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/readyz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert client.post("/readyz").status_code == 405
