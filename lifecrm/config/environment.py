"""Every environment variable lifecrm reads, and the production checks that refuse a misspelled one.

A setting given in the environment and silently ignored is a configuration that fails open (an operator sets
`SESSION_COOKIE_AGE=900` and sessions last two weeks). So `LIFECRM_ENV=prod` refuses to start when the
environment holds a variable that is not in `KNOWN` and looks like it was meant for lifecrm:
- it starts with `LIFECRM_` (except the service links Kubernetes writes for a service named lifecrm,
  `LIFECRM_SERVICE_HOST`, `LIFECRM_PORT_8000_TCP`…);
- it is named like a Django setting: the name of one of Django's or lifecrm's settings, or it starts with a
  prefix of Django's setting families (`SECURE_`, `SESSION_`, `CSRF_`, `ADMIN_`…);
- it is one or two keystrokes from a known name (`DATABSE_URL`).
The error names each one with the closest known name. A variable of another program that matches these rules
is let through by naming it in `LIFECRM_ALLOW_ENV` (comma-separated). This module imports no Django model
and is read by the settings (and the gunicorn configuration) before Django is set up.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

# name -> what it sets. docs/operations.md lists them; a test checks that every variable read under lifecrm/ is here.
KNOWN: dict[str, str] = {
    # environment and secrets
    "LIFECRM_ENV": "dev, test or prod (default prod)",
    "SECRET_KEY": "Django's secret key (prod: at least 50 characters, 5 different)",
    "LIFECRM_FIELD_KEYS": "Fernet keys of the encrypted fields, comma-separated; the first encrypts",
    "LIFECRM_HASH_KEY": "key of the searchable keyed hashes (prod: at least 32 characters)",
    "LIFECRM_HASH_KEYS": "keys of the searchable keyed hashes, comma-separated; the first hashes, lookups try all "
                         "(rotation: rotate-keys --hash); LIFECRM_HASH_KEY when unset",
    "DEBUG": "Django's DEBUG (refused in prod)",
    "LIFECRM_ALLOW_ENV": "names of other programs' variables that the misspelling check must let through",
    "DJANGO_SETTINGS_MODULE": "the settings module (lifecrm.config.settings)",
    "DJANGO_ALLOW_ASYNC_UNSAFE": "Django's flag for the browser tests",
    # where things are
    "LIFECRM_HOME": "the project folder (default: the current one)",
    "LIFECRM_VAR": "the data folder (default: var/ under LIFECRM_HOME)",
    "LIFECRM_STATIC_ROOT": "where `collectstatic` writes (default var/static)",
    "DATABASE_URL": "the database (default SQLite under var/)",
    "LIFECRM_CONN_MAX_AGE": "seconds a web process keeps its PostgreSQL connection (default 60)",
    "LIFECRM_DB_PREPARED": "PostgreSQL binds parameters and prepares repeated statements (default true; false "
                           "behind a pooler in transaction mode)",
    "LIFECRM_SMS_OUTBOX": "folder of the SMS spool files",
    "LIFECRM_LETTER_OUTBOX": "folder of the letters' PDFs",
    "LIFECRM_CASE_ATTACHMENTS": "folder of the service desk's case attachments (encrypted)",
    "BANK_DEBIT_CREDITORS": "the collection accounts per currency, as JSON (required in prod for the export)",
    # HTTP
    "ALLOWED_HOSTS": "host names the site answers, comma-separated (required in prod)",
    "CSRF_TRUSTED_ORIGINS": "origins trusted for unsafe requests, comma-separated",
    "LIFECRM_SSL_REDIRECT": "redirect plain HTTP to HTTPS in Django (prod default true)",
    "LIFECRM_PROXY_SSL_HEADER": "header by which the TLS proxy says the request was HTTPS (prod default X-Forwarded-Proto)",
    "LIFECRM_HSTS_SECONDS": "Strict-Transport-Security max-age (prod default 31536000)",
    "LIFECRM_HSTS_INCLUDE_SUBDOMAINS": "HSTS includeSubDomains (prod default true)",
    "LIFECRM_HSTS_PRELOAD": "HSTS preload (prod default true)",
    "TIME_ZONE": "Django's TIME_ZONE (default Asia/Shanghai)",
    # logs
    "LOG_LEVEL": "level of the root logger (default WARNING; prod INFO)",
    "LOG_FORMAT": "json or text (default json in prod, text in dev and test)",
    # web server (lifecrm/config/gunicorn.py)
    "LIFECRM_BIND": "address the web server listens on (default 0.0.0.0:8000)",
    "LIFECRM_WEB_WORKERS": "web server processes (default 2 × CPUs + 1, at most 12)",
    "LIFECRM_WEB_THREADS": "threads per web server process (default 1)",
    "LIFECRM_WEB_TIMEOUT": "seconds before a silent web worker is restarted (default 60)",
    "LIFECRM_WEB_PRELOAD": "load the application before forking the web workers (default false)",
    "LIFECRM_FORWARDED_ALLOW_IPS": "addresses of the proxy whose X-Forwarded-* gunicorn trusts (default 127.0.0.1)",
    "WEB_CONCURRENCY": "gunicorn's own name for the number of workers (LIFECRM_WEB_WORKERS wins)",
    "GUNICORN_CMD_ARGS": "gunicorn's own extra arguments",
    # jobs
    "LIFECRM_JOBS": "inprocess or celery",
    "LIFECRM_JOB_CHUNK_SIZE": "chunk size of every batch step",
    "LIFECRM_JOB_WORKERS": "processes of the in-process runner (PostgreSQL)",
    "LIFECRM_DAILY_AT": "when Celery beat starts the daily batch, HH:MM in TIME_ZONE (default 22:00)",
    "CELERY_BROKER_URL": "the Celery broker",
    "CELERY_RESULT_BACKEND": "the Celery result backend (default the broker)",
    "LIFECRM_HEALTH_BROKER_TIMEOUT": "seconds /healthz waits for the broker (default 2)",
    "LIFECRM_CELERY_QUEUE": "the queue the batch chunks go to (default celery)",
    "LIFECRM_CELERY_WORKERS": "worker processes a step's chunks are shared between on Celery (default: ask the workers)",
    "LIFECRM_CELERY_VISIBILITY_TIMEOUT": "seconds before Redis gives an unacknowledged chunk to another worker "
                                         "(default two hard limits + 60)",
    "LIFECRM_CHUNK_SOFT_TIME_LIMIT": "seconds a chunk may run on Celery before it is interrupted (default 900)",
    "LIFECRM_CHUNK_TIME_LIMIT": "seconds before a chunk's worker process is killed (default soft limit + 60)",
    "LIFECRM_CHUNK_RETRIES": "tries again of a chunk that lost its database connection (default 5)",
    "LIFECRM_CHUNK_RETRY_MAX_DELAY": "most seconds between those tries (default 120)",
    "LIFECRM_JOB_WAIT_SECONDS": "how long run-daily waits for a wave's chunks on Celery (default 3 hours)",
    # logins (issue 14 §2)
    "LIFECRM_LOGIN_FAILURE_LIMIT": "failed logins that lock an account or address (default 5)",
    "LIFECRM_LOGIN_COOLOFF_MINUTES": "minutes a lockout lasts (default 30)",
    "LIFECRM_TRUSTED_PROXY_COUNT": "proxies that append to X-Forwarded-For (default 0)",
    "LIFECRM_REQUIRE_OTP": "second factor for the roles that need one (prod default true)",
    "LIFECRM_SESSION_IDLE_MINUTES": "minutes without a request before a session ends (default 30)",
    "LIFECRM_SESSION_MAX_HOURS": "hours after the login a session ends (default 10)",
    "LIFECRM_API_TOKEN_HOURS": "lifetime of an API token (default 720)",
    "LIFECRM_API_USER_RATE": "API calls per user (default 2000/hour)",
    "LIFECRM_API_ANON_RATE": "API calls per address before a login (default 60/hour)",
    # business
    "LIFECRM_JURISDICTION": "home jurisdiction CN, HK or TW",
    "LIFECRM_PAYMENT_AHEAD_PREMIUMS": "premiums ahead staff may take without a second colleague",
    "LIFECRM_REFERENCE_RECHECK_SECONDS": "how often a process checks for changed rules and calendars",
    "LIFECRM_DEMO_PASSWORD": "password of the demo logins (dev)",
    "LIFECRM_SURVEY_MIN_DAYS": "days before a customer may be asked for another survey (default 90)",
    "LIFECRM_SURVEY_VALID_DAYS": "days a survey link can be answered (default 14)",
    "LIFECRM_SURVEY_RATE_PER_MINUTE": "survey pages an address may open a minute (default 20; 0: no limit)",
    "LIFECRM_NPS_PERIOD_DAYS": "days between two NPS surveys of a customer (default 365)",
    "LIFECRM_NPS_DAILY_SAMPLE": "customers asked for an NPS survey a day at most (default 200)",
    "LIFECRM_RECONCILE_FULL_WEEKDAY": "the weekday the ledger's reconciliation checks every policy (default sunday)",
    "LIFECRM_PUBLIC_URL": "the site's address that links in messages start with (default http://localhost:8000)",
    "LIFECRM_OUTBOX_MAX_ATTEMPTS": "attempts at an e-mail or SMS before the outbox gives it up (default 6)",
    "LIFECRM_OUTBOX_RETRY_SECONDS": "seconds before the outbox's first retry, doubled at each next one (default 300)",
    "LIFECRM_OUTBOX_RETRY_MAX_SECONDS": "most seconds between two outbox retries (default 21600)",
    "LIFECRM_OUTBOX_CHUNK": "messages the outbox dispatcher claims and sends at a time (default 200)",
    "LIFECRM_QUIET_HOURS": "local hours no e-mail or SMS reaches a customer: 21:00-08:00 (default), CN=21:00-08:00,HK=…, or off",
    # mail
    "EMAIL_BACKEND": "Django's e-mail backend",
    "EMAIL_FILE_PATH": "folder of the file-based e-mail backend",
    "EMAIL_HOST": "SMTP host",
    "EMAIL_PORT": "SMTP port",
    "EMAIL_HOST_USER": "SMTP user",
    "EMAIL_HOST_PASSWORD": "SMTP password",
    "EMAIL_USE_TLS": "SMTP with STARTTLS",
    "DEFAULT_FROM_EMAIL": "sender of the e-mails",
}

# Families of Django's settings: a variable starting so was meant for Django (ADMIN_SITE_HEADER, SECURE_HSTS…).
SETTING_PREFIXES = (
    "ADMIN_", "AUTH_", "CACHE_", "CSRF_", "DATABASE_", "EMAIL_", "LANGUAGE_", "LOGIN_", "LOGOUT_",
    "MEDIA_", "PASSWORD_", "SECURE_", "SESSION_", "STATIC_", "X_FRAME_",
)
_KUBERNETES_SERVICE_LINK = re.compile(r"^LIFECRM_(SERVICE_HOST|SERVICE_PORT(_\w+)?|PORT(_\d+_(TCP|UDP|SCTP)(_\w+)?)?)$")


def _setting_names() -> set[str]:
    """Django's own settings (lifecrm's settings are the ones KNOWN, or set in code and not meant for env)."""
    from django.conf import global_settings

    return {name for name in dir(global_settings) if name.isupper()}


def misspelled(environ: Mapping[str, str], extra_settings: set[str] = frozenset()) -> list[str]:
    """One line per variable of `environ` that looks meant for lifecrm and that lifecrm does not read."""
    allowed = {name.strip() for name in environ.get("LIFECRM_ALLOW_ENV", "").split(",") if name.strip()}
    settings_named = _setting_names() | set(extra_settings)
    problems = []
    for name in sorted(environ):
        if name in KNOWN or name in allowed:
            continue
        if name.startswith("LIFECRM_"):
            if _KUBERNETES_SERVICE_LINK.match(name):
                continue
            why = "lifecrm reads no such variable"
        elif name in settings_named or name.startswith(SETTING_PREFIXES):
            why = "named like a Django setting, and lifecrm reads no such variable"
        elif difflib.get_close_matches(name, KNOWN, n=1, cutoff=0.88):
            why = "not a variable lifecrm reads"
        else:
            continue
        close = difflib.get_close_matches(name, KNOWN, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        problems.append(f"{name}: {why}{hint}")
    return problems
