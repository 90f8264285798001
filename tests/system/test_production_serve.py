"""The README's production steps, run as an operator runs them: LIFECRM_ENV=prod with generated secrets,
`lifecrm migrate`, `lifecrm collectstatic --no-input`, then gunicorn with lifecrm's configuration as a real
process behind a (pretend) TLS proxy: /healthz is green, the login page and its hashed static files are served.

On a temporary SQLite file, or on a database of its own beside DATABASE_URL's when that is PostgreSQL.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lifecrm.core.tests.production import production_env

pytestmark = pytest.mark.slow
PROXY = {"X-Forwarded-Proto": "https", "Host": "crm.example.com"}  # what the TLS proxy adds in front
STATIC_REFERENCE = re.compile(r'<(?:link|script)\b[^>]*\b(?:href|src)="(/static/[^"]+)"')
HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js|svg|png|woff2?)$")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _database(tmp_path: Path):
    """A database URL for the run: SQLite in tmp_path, or a fresh PostgreSQL database dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'lifecrm.sqlite3'}"
        return
    import psycopg

    base, _, name = url.rpartition("/")
    name = f"{name.split('?')[0]}_prodserve_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _lifecrm(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lifecrm", *args], env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _gunicorn() -> list[str]:
    script = Path(sys.executable).with_name("gunicorn")  # the README's `gunicorn`, from this environment
    return [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]


def test_the_readme_production_steps_serve_the_workbench(tmp_path):
    port = _free_port()
    static_root = tmp_path / "static"
    with _database(tmp_path) as database_url:
        env = production_env(tmp_path / "var", DATABASE_URL=database_url, LIFECRM_STATIC_ROOT=str(static_root),
                             LIFECRM_BIND=f"127.0.0.1:{port}", LIFECRM_WEB_WORKERS="2")
        # migrate and collectstatic are independent (collectstatic reads no table): side by side, as a deploy may
        steps = [_lifecrm(env, tmp_path, "migrate", "--no-input", "-v", "0"),
                 _lifecrm(env, tmp_path, "collectstatic", "--no-input", "-v", "0")]
        for step in steps:
            out, _ = step.communicate(timeout=300)
            assert step.returncode == 0, out
        assert (static_root / "staticfiles.json").exists()

        server = subprocess.Popen([*_gunicorn(), "-c", "python:lifecrm.config.gunicorn", "lifecrm.config.wsgi"],
                                  env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, server.communicate()[1]
                with contextlib.suppress(OSError):
                    if _get(port, "/readyz")[0] == 200:
                        break
                assert time.monotonic() < deadline, "gunicorn did not answer /readyz within 60 s"
                time.sleep(0.2)

            # the load balancer's probe, in plain HTTP from inside: not redirected
            status, headers, body = _get(port, "/healthz", {"X-Request-ID": "probe-1"})
            assert status == 200, body
            assert json.loads(body) == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
            assert headers["content-type"] == "application/json" and headers["x-request-id"] == "probe-1"

            # a page in plain HTTP is sent to HTTPS; through the proxy it is served
            status, headers, _ = _get(port, "/login/")
            assert status == 301 and headers["location"] == "https://127.0.0.1/login/"
            status, headers, body = _get(port, "/login/", PROXY)
            assert status == 200
            assert "strict-transport-security" in headers and "max-age=31536000" in headers["strict-transport-security"]
            assert "secure" in headers["set-cookie"].lower()  # the CSRF cookie

            references = STATIC_REFERENCE.findall(body.decode())
            assert references, "the login page references no static file"
            assert all(HASHED.search(path) for path in references), references  # the manifest's names
            for path in references:
                status, headers, content = _get(port, path, {**PROXY, "Accept-Encoding": "gzip"})
                assert status == 200 and content, path
                assert "immutable" in headers["cache-control"], (path, headers)  # whitenoise, for hashed names
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                out, err = server.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                out, err = server.communicate()
        assert server.returncode == 0, err

    access = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    probe = next(entry for entry in access if entry.get("request_id") == "probe-1")
    assert (probe["logger"], probe["method"], probe["path"], probe["status"]) == (
        "gunicorn.access", "GET", "/healthz", "200")
    assert all(json.loads(line) for line in err.splitlines() if line.strip())  # gunicorn's own lines: JSON too
