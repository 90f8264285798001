"""Gunicorn's configuration for lifecrm's web server:

    gunicorn -c python:lifecrm.config.gunicorn lifecrm.config.wsgi

Behind a TLS proxy (docs/operations.md). Everything is read from the environment (lifecrm.config.environment):
LIFECRM_BIND (default 0.0.0.0:8000), LIFECRM_WEB_WORKERS (or gunicorn's WEB_CONCURRENCY; default 2 × CPUs + 1,
at most 12), LIFECRM_WEB_THREADS (1), LIFECRM_WEB_TIMEOUT (60 s), LIFECRM_WEB_PRELOAD (false),
LIFECRM_FORWARDED_ALLOW_IPS (127.0.0.1). Logs: one JSON line per request on stdout (method, path, status,
bytes, duration_ms, request_id…) and gunicorn's own messages in JSON on stderr, unless LOG_FORMAT=text.
"""
from __future__ import annotations

import gc
import os


def _whole(name: str, default: int, *, low: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < low:
        raise SystemExit(f"{name} must be a whole number of at least {low}, not {raw!r}")
    return int(raw)


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SystemExit(f"{name} must be true or false, not {raw!r}")


bind = [address.strip() for address in os.environ.get("LIFECRM_BIND", "0.0.0.0:8000").split(",") if address.strip()]
# Sync workers: each request holds one process. The common 2 × CPUs + 1, capped: beyond a dozen processes a web
# node spends its memory (about 150 MB each) rather than its CPUs, and the database its connections.
_default_workers = min(2 * (os.cpu_count() or 1) + 1, 12)
workers = _whole("LIFECRM_WEB_WORKERS", _whole("WEB_CONCURRENCY", _default_workers))
threads = _whole("LIFECRM_WEB_THREADS", 1)
# A request that takes longer is a bug or a stuck database: the worker is killed and replaced (the batch
# runs outside the web server, so no page legitimately takes a minute).
timeout = _whole("LIFECRM_WEB_TIMEOUT", 60)
graceful_timeout = 30  # on a restart, requests under way get this long to finish
keepalive = 5  # behind a proxy that reuses its upstream connections
# Recycle a worker now and then (jitter: not all at once): a slow leak never takes the node down. Not often: a new
# worker spends about 1.3 s of CPU importing the application and its first page is several times slower (templates
# and the busy reads compiled again), which the other workers' requests feel on a small node. Measured on 2 CPUs
# at 50 requests/s over 5 workers: every 2,000 requests was a new worker every 40 s (docs/operations.md "Serving").
max_requests = 10000
max_requests_jitter = 1000
# Not preloaded by default: each worker imports the application after the fork, so `kill -HUP` reloads a new
# release and no database connection or thread can be shared across the fork. Preloading (true) saves memory
# (copy-on-write) and start time on nodes with many workers; then restart, never HUP, to deploy.
preload_app = _flag("LIFECRM_WEB_PRELOAD", False)
# The proxy's X-Forwarded-* headers are believed from these addresses only.
forwarded_allow_ips = os.environ.get("LIFECRM_FORWARDED_ALLOW_IPS", "127.0.0.1")
# The workers' heartbeat files (made with mkstemp): a container's /tmp may be a slow overlay.
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The atoms are the record's arguments; lifecrm.core.logs.JsonFormatter turns them into fields.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus %({x-request-id}o)s "%(a)s"'

_json = os.environ.get("LOG_FORMAT", "text" if os.environ.get("LIFECRM_ENV") in {"dev", "test"} else "json") == "json"
if _json:
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "lifecrm.core.logs.JsonFormatter"}},
        "handlers": {
            "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
            "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["error"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": []},
    }


def post_worker_init(worker) -> None:
    """The application is loaded: move its objects (modules, URL patterns, settings, translations: about 190,000)
    out of the garbage collector's sight. Python's full collection scans every tracked object; with the
    application's in it, one took 120 ms in the middle of a request, every few hundred requests per worker.
    Frozen objects are never collected (they live as long as the worker anyway) and never scanned."""
    gc.collect()
    gc.freeze()
