"""lifecrm settings, read from the environment; they fail closed outside development.

LIFECRM_ENV: dev | test | prod (default prod). Only dev and test may run without SECRET_KEY.
DATABASE_URL: default SQLite file var/lifecrm.sqlite3.
LIFECRM_JOBS: inprocess (default) | celery. CELERY_BROKER_URL for the latter.
LIFECRM_JOB_CHUNK_SIZE: optional, overrides the chunk size of every batch step.
LIFECRM_JOB_WORKERS: processes the in-process runner uses for a step's chunks on PostgreSQL (default 1).
LIFECRM_RECONCILE_FULL_WEEKDAY: the day the ledger's reconciliation checks every policy (default sunday).
LIFECRM_CELERY_*, LIFECRM_CHUNK_*, LIFECRM_JOB_WAIT_SECONDS: batch chunks on Celery (the block below CELERY_BROKER_URL).
LIFECRM_FIELD_KEYS: comma-separated Fernet keys for encrypted fields (first one encrypts).
LIFECRM_HASH_KEYS: comma-separated keys of the searchable hashes (first one hashes; LIFECRM_HASH_KEY: one key).
LIFECRM_JURISDICTION: CN (default) | HK | TW — the company's home jurisdiction.
LIFECRM_REFERENCE_RECHECK_SECONDS: how often a process checks that its cached rules and calendars are current
(default 5; 3600 under LIFECRM_ENV=test, whose tests count queries: the tests of the check set their own).
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from lifecrm.notifications.rules import parse_quiet_hours

BASE_DIR = Path(__file__).resolve().parent.parent  # the lifecrm package
PROJECT_DIR = Path(os.environ.get("LIFECRM_HOME", Path.cwd()))
VAR_DIR = Path(os.environ.get("LIFECRM_VAR", PROJECT_DIR / "var"))

KNOWN_ENVS = {"dev", "test", "prod"}
LIFECRM_ENV = os.environ.get("LIFECRM_ENV", "prod")
if LIFECRM_ENV not in KNOWN_ENVS:
    raise ImproperlyConfigured(f"LIFECRM_ENV must be one of {sorted(KNOWN_ENVS)}, not {LIFECRM_ENV!r}")
INSECURE_ENV = LIFECRM_ENV in {"dev", "test"}


def _required(name: str, dev_default: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if INSECURE_ENV:
        return dev_default
    raise ImproperlyConfigured(f"{name} must be set when LIFECRM_ENV={LIFECRM_ENV}")


def _whole(name: str, default: str | int | None, minimum: int = 1, unit: str = "") -> int | None:
    """The environment's whole number `name` (at least `minimum`), else its default; None when both are unset."""
    raw = os.environ.get(name, "" if default is None else str(default))
    if raw == "" and default is None:
        return None
    if not (raw.isascii() and raw.isdigit() and int(raw) >= minimum):
        raise ImproperlyConfigured(f"{name} must be a whole number{unit} of at least {minimum}, not {raw!r}")
    return int(raw)


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


SECRET_KEY = _required("SECRET_KEY", "dev-insecure-secret-key-not-for-production")
# Fernet keys for encrypted fields; dev/test use a fixed key so a demo database stays readable.
FIELD_ENCRYPTION_KEYS = [
    k.strip()
    for k in _required("LIFECRM_FIELD_KEYS", "ZGV2LWluc2VjdXJlLWZpZWxkLWtleS0zMi1ieXRlcyE=").split(",")
    if k.strip()
]
# --- Keyed hashes (issue 14 §4, personal data) -----------------------------------------------------------
# Keys for the keyed hashes (HMAC-SHA256) that make encrypted identifiers searchable. LIFECRM_HASH_KEYS is a
# comma-separated list, the first hashes new values and every one is tried by lookups, so a key is rotated by
# putting the new key first, running `lifecrm rotate-keys --hash`, then dropping the old one
# (docs/operations.md, "Keys"). LIFECRM_HASH_KEY (one key) is still read when LIFECRM_HASH_KEYS is not set.
FIELD_HASH_KEYS = [
    k.strip()
    for k in (os.environ.get("LIFECRM_HASH_KEYS") or _required("LIFECRM_HASH_KEY", "dev-insecure-hash-key")).split(",")
    if k.strip()
]
if not FIELD_HASH_KEYS:
    raise ImproperlyConfigured("LIFECRM_HASH_KEYS must name at least one key")
FIELD_HASH_KEY = FIELD_HASH_KEYS[0]  # the current key, for code that needs only it
# --- end keyed hashes --------------------------------------------------------------------------------------

DEBUG = _flag("DEBUG", LIFECRM_ENV == "dev")

# --- Production refuses at start (issue 14 §1) -------------------------------------------------------------
# A key that is not a Fernet key would pass until the first decrypt, a short key or DEBUG would run weakened.
def _check_fernet_keys(keys: list[str]) -> None:
    if not keys:
        raise ImproperlyConfigured("LIFECRM_FIELD_KEYS holds no key")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"LIFECRM_FIELD_KEYS: key {position} is not a Fernet key (32 url-safe base64-encoded bytes; make one "
                "with `python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"`)"
            ) from None


_check_fernet_keys(FIELD_ENCRYPTION_KEYS)
if not INSECURE_ENV:
    if DEBUG:
        raise ImproperlyConfigured(f"DEBUG must be off when LIFECRM_ENV={LIFECRM_ENV}")
    # Django's own rule for a strong secret key (security.W009), refused here rather than warned about.
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            "SECRET_KEY is weak: it needs at least 50 characters, 5 of them different, and no 'django-insecure-' "
            "prefix (make one with `python -c \"import secrets; print(secrets.token_urlsafe(50))\"`)"
        )
    if len(FIELD_HASH_KEY) < 32 or len(set(FIELD_HASH_KEY)) < 5:
        raise ImproperlyConfigured("LIFECRM_HASH_KEY is weak: it needs at least 32 characters, 5 of them different")
# --- end of production refusals ----------------------------------------------------------------------------
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost" if INSECURE_ENV else "").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

LIFECRM_JURISDICTION = os.environ.get("LIFECRM_JURISDICTION", "CN")
if LIFECRM_JURISDICTION not in {"CN", "HK", "TW"}:
    raise ImproperlyConfigured(f"LIFECRM_JURISDICTION must be CN, HK or TW, not {LIFECRM_JURISDICTION!r}")

LIFECRM_JOBS = os.environ.get("LIFECRM_JOBS", "inprocess")
if LIFECRM_JOBS not in {"inprocess", "celery"}:
    raise ImproperlyConfigured(f"LIFECRM_JOBS must be inprocess or celery, not {LIFECRM_JOBS!r}")
# Overrides every batch step's own chunk size (smaller chunks: finer checkpoints, more transactions).
LIFECRM_JOB_CHUNK_SIZE = _whole("LIFECRM_JOB_CHUNK_SIZE", None)
# In-process runner on PostgreSQL: a step's chunks run on this many forked processes (1: one after the other).
# SQLite takes one writer at a time, so there the chunks always run one after the other.
LIFECRM_JOB_WORKERS = _whole("LIFECRM_JOB_WORKERS", 1)
# The ledger's reconciliation (billing.reconcile_ledger) checks every policy on this day of the week (and on its
# first run); on the other days only the policies whose ledger rows were written since the last one.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_full_weekday = os.environ.get("LIFECRM_RECONCILE_FULL_WEEKDAY", "sunday").strip().lower()
if _full_weekday not in WEEKDAYS:
    raise ImproperlyConfigured(f"LIFECRM_RECONCILE_FULL_WEEKDAY must be a day of the week (monday … sunday), "
                               f"not {_full_weekday!r}")
LIFECRM_RECONCILE_FULL_WEEKDAY = WEEKDAYS.index(_full_weekday)  # date.weekday(): 0 Monday … 6 Sunday
# A payment taken by staff for more than the policy owes plus this many future premiums needs a second, senior
# colleague's confirmation (an amount typed with a slip of the finger, or money that belongs elsewhere).
LIFECRM_PAYMENT_AHEAD_PREMIUMS = _whole("LIFECRM_PAYMENT_AHEAD_PREMIUMS", 12, minimum=0)
# Satisfaction surveys (service.surveys): a customer is asked at most once in LIFECRM_SURVEY_MIN_DAYS days; a link
# works LIFECRM_SURVEY_VALID_DAYS days; the periodic NPS asks each customer every LIFECRM_NPS_PERIOD_DAYS days, at
# most LIFECRM_NPS_DAILY_SAMPLE customers a day. Links in messages start with LIFECRM_PUBLIC_URL (the site's address).
LIFECRM_SURVEY_MIN_DAYS = _whole("LIFECRM_SURVEY_MIN_DAYS", 90, minimum=0)
LIFECRM_SURVEY_VALID_DAYS = _whole("LIFECRM_SURVEY_VALID_DAYS", 14)
# The public survey page answers an address at most LIFECRM_SURVEY_RATE_PER_MINUTE times a minute (token guessing
# is slowed down; 0: no limit). Counted in the default cache: share it (Redis) when several processes serve the site.
# Under LIFECRM_ENV=test it is 0 unless set: the cache outlives a test, and the access matrix opens the page from one
# address many times (the throttle's tests set their own rate).
LIFECRM_SURVEY_RATE_PER_MINUTE = _whole("LIFECRM_SURVEY_RATE_PER_MINUTE", 0 if LIFECRM_ENV == "test" else 20,
                                        minimum=0)
LIFECRM_NPS_PERIOD_DAYS = _whole("LIFECRM_NPS_PERIOD_DAYS", 365)
# Under LIFECRM_ENV=test the sample is 0 unless set: the other apps' tests count what their daily batch sends (the
# NPS tests set their own sample).
LIFECRM_NPS_DAILY_SAMPLE = _whole("LIFECRM_NPS_DAILY_SAMPLE", 0 if LIFECRM_ENV == "test" else 200, minimum=0)
LIFECRM_PUBLIC_URL = os.environ.get("LIFECRM_PUBLIC_URL", "http://localhost:8000").rstrip("/")
# The outbox (notifications.services): an e-mail or SMS that fails for a passing reason is tried again after
# LIFECRM_OUTBOX_RETRY_SECONDS, twice that, four times … (at most LIFECRM_OUTBOX_RETRY_MAX_SECONDS), and given up after
# LIFECRM_OUTBOX_MAX_ATTEMPTS attempts; a dispatcher claims LIFECRM_OUTBOX_CHUNK messages at a time. No e-mail or SMS
# reaches a customer in the quiet hours of their jurisdiction (LIFECRM_QUIET_HOURS, local time; see
# notifications.rules.parse_quiet_hours): one recorded then waits for their end.
LIFECRM_OUTBOX_MAX_ATTEMPTS = _whole("LIFECRM_OUTBOX_MAX_ATTEMPTS", 6)
LIFECRM_OUTBOX_RETRY_SECONDS = _whole("LIFECRM_OUTBOX_RETRY_SECONDS", 300, unit=" of seconds")
LIFECRM_OUTBOX_RETRY_MAX_SECONDS = _whole("LIFECRM_OUTBOX_RETRY_MAX_SECONDS", 6 * 3600, unit=" of seconds")
LIFECRM_OUTBOX_CHUNK = _whole("LIFECRM_OUTBOX_CHUNK", 200)
LIFECRM_QUIET_HOURS = os.environ.get("LIFECRM_QUIET_HOURS", "21:00-08:00")
try:
    parse_quiet_hours(LIFECRM_QUIET_HOURS)
except ValueError as exc:
    raise ImproperlyConfigured(f"LIFECRM_QUIET_HOURS: {exc}") from None
# Jurisdiction rules and calendars are cached per process; an edit anywhere reaches a process within this many
# seconds (core.selectors compares its copy with the ReferenceDataVersion row at most this often).
LIFECRM_REFERENCE_RECHECK_SECONDS = _whole("LIFECRM_REFERENCE_RECHECK_SECONDS", 3600 if LIFECRM_ENV == "test" else 5,
                                           minimum=0, unit=" of seconds")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = False


# --- Batch chunks on Celery: surviving a lost worker, a lost connection, a stuck chunk (issue 14 §5) -----------
def _seconds(name: str, default: int) -> int:
    return _whole(name, default, unit=" of seconds")


# A chunk's message is acknowledged only once the chunk is done, and goes back to the queue when the worker process
# running it dies: another worker process (or the restarted one) runs it, and the chunk's checkpoint (core.jobs)
# makes a second run of a finished chunk a no-op. Each worker process reserves one chunk at a time, so a slow chunk
# never holds back chunks another process could run.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The queue the chunks go to (`celery … worker -Q <queue>` when not the default).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("LIFECRM_CELERY_QUEUE", "celery")
# A chunk running longer than the soft limit is interrupted (its transaction rolls back, the run fails and names
# it); the hard limit kills its process if it does not stop. Prefork pool only.
LIFECRM_CHUNK_SOFT_TIME_LIMIT = _seconds("LIFECRM_CHUNK_SOFT_TIME_LIMIT", 900)
LIFECRM_CHUNK_TIME_LIMIT = _seconds("LIFECRM_CHUNK_TIME_LIMIT", LIFECRM_CHUNK_SOFT_TIME_LIMIT + 60)
if LIFECRM_CHUNK_TIME_LIMIT <= LIFECRM_CHUNK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("LIFECRM_CHUNK_TIME_LIMIT must be longer than LIFECRM_CHUNK_SOFT_TIME_LIMIT")
CELERY_TASK_SOFT_TIME_LIMIT = LIFECRM_CHUNK_SOFT_TIME_LIMIT
CELERY_TASK_TIME_LIMIT = LIFECRM_CHUNK_TIME_LIMIT
# Redis gives a chunk whose whole worker (machine) vanished to another worker after this long unacknowledged: longer
# than a reserved chunk can wait plus run (two hard limits), or a slow chunk would run twice (harmless, but wasted).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _seconds("LIFECRM_CELERY_VISIBILITY_TIMEOUT", 2 * LIFECRM_CHUNK_TIME_LIMIT + 60)}
# A chunk that lost its database connection (a restart, a failover) is tried again this many times, after 2, 4, 8 …
# seconds, at most LIFECRM_CHUNK_RETRY_MAX_DELAY apart.
LIFECRM_CHUNK_RETRIES = _whole("LIFECRM_CHUNK_RETRIES", 5, minimum=0)
LIFECRM_CHUNK_RETRY_MAX_DELAY = _seconds("LIFECRM_CHUNK_RETRY_MAX_DELAY", 120)
# `run-daily` on Celery waits at most this long for the chunks of a wave of steps, then fails naming the chunks
# not done (step, chunk, id range).
LIFECRM_JOB_WAIT_SECONDS = _seconds("LIFECRM_JOB_WAIT_SECONDS", 3 * 3600)
# The worker processes a step's ids are shared out between on Celery (chunks enough for each); empty: ask the
# workers at the start of each step (their pool sizes, within a second), else LIFECRM_JOB_WORKERS.
LIFECRM_CELERY_WORKERS = _whole("LIFECRM_CELERY_WORKERS", None)
# --- end of batch chunks on Celery ---------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # -- logins (issue 14 §2): lockout, second factor, hashed expiring API tokens --
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "knox",
    # -- end logins --
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "lifecrm.core",
    "lifecrm.org",
    "lifecrm.parties",
    "lifecrm.products",
    "lifecrm.policies",
    "lifecrm.notifications",
    "lifecrm.banking",
    "lifecrm.billing",
    "lifecrm.service",
    "lifecrm.servicing",
    "lifecrm.claims",
    "lifecrm.value",
    "lifecrm.workbench",
    "lifecrm.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # -- logins (issue 14 §2): idle/absolute session expiry, the second factor, lockout answers --
    "lifecrm.org.logins.SessionExpiryMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "lifecrm.org.logins.SecondFactorMiddleware",
    "axes.middleware.AxesMiddleware",
    # -- end logins --
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "lifecrm.config.urls"
WSGI_APPLICATION = "lifecrm.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],  # overrides of third-party templates (admin/)
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_SQLITE = VAR_DIR / "lifecrm.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE}"),
        # Connection reuse (docs/operations.md): a process keeps its connection this long, and checks it is
        # alive before reusing it for a new request (so a restarted database costs no failed request).
        conn_max_age=_whole("LIFECRM_CONN_MAX_AGE", 60, minimum=0, unit=" of seconds"), conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: its fixed cost (a quarter of a second for a batch query with a high estimate)
    # buys nothing for this workload of index lookups and short scans.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = " ".join(filter(None, [options.get("options", ""), "-c jit=off"]))
    # Prepared statements (docs/operations.md "Connections"): parameters bound by the server and a statement run
    # twice on a connection prepared there, so PostgreSQL parses and plans each of the busy pages' reads once per
    # connection rather than on every request (the customer 360: a third less time in the database). Off behind
    # a pooler in transaction mode (PgBouncer < 1.21), which cannot keep a prepared statement on one connection.
    if _flag("LIFECRM_DB_PREPARED", True):
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
CELERY_TIMEZONE = TIME_ZONE  # beat's LIFECRM_DAILY_AT is a time of the business day, in TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("LIFECRM_STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not INSECURE_ENV
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = INSECURE_ENV

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not INSECURE_ENV
CSRF_COOKIE_SECURE = not INSECURE_ENV
CSRF_FAILURE_VIEW = "lifecrm.workbench.views.errors.csrf_failure"  # the project's 403 page, in the user's language
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# == Logins (issue 14 §2) ====================================================================================
# Failed logins (django-axes): an account is locked after LIFECRM_LOGIN_FAILURE_LIMIT failures, and so is an
# address (one address trying many accounts); the lock lifts after LIFECRM_LOGIN_COOLOFF_MINUTES or when HQ
# unlocks it (workbench page "Locked logins"). The answer is the login page saying so, in the user's language.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked account or address before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = _whole("LIFECRM_LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=_whole("LIFECRM_LOGIN_COOLOFF_MINUTES", "30"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # per account, and per address
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "lifecrm.workbench.views.auth.locked_out"
AXES_CLIENT_IP_CALLABLE = "lifecrm.org.logins.client_ip"
AXES_VERBOSE = False
# Behind a reverse proxy (TLS terminator, load balancer): how many proxies append to X-Forwarded-For; the
# client's address is the one that many entries from the right. 0: no proxy, REMOTE_ADDR is the client.
LIFECRM_TRUSTED_PROXY_COUNT = _whole("LIFECRM_TRUSTED_PROXY_COUNT", "0", minimum=0)
# Second factor (TOTP, django-otp) for the roles that may reveal ID numbers, approve money or administer
# (org.rules.SECOND_FACTOR_ROLES): required by default in production; the demo and tests log in with the
# password alone unless they set it.
LIFECRM_REQUIRE_OTP = _flag("LIFECRM_REQUIRE_OTP", not INSECURE_ENV)
OTP_TOTP_ISSUER = "lifecrm"
# Sessions: logged out after LIFECRM_SESSION_IDLE_MINUTES without a request, and LIFECRM_SESSION_MAX_HOURS after
# the login whatever happens; the cookie dies with the browser.
LIFECRM_SESSION_IDLE_MINUTES = _whole("LIFECRM_SESSION_IDLE_MINUTES", "30")
LIFECRM_SESSION_MAX_HOURS = _whole("LIFECRM_SESSION_MAX_HOURS", "10")
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = LIFECRM_SESSION_MAX_HOURS * 3600
# API: tokens (knox) are stored hashed and expire after LIFECRM_API_TOKEN_HOURS (`lifecrm api-token`);
# calls are throttled per user and, before a login, per address (429 in the API's error shape).
LIFECRM_API_TOKEN_HOURS = _whole("LIFECRM_API_TOKEN_HOURS", "720")
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=LIFECRM_API_TOKEN_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": None,
    "AUTO_REFRESH": False,
}
LIFECRM_API_USER_RATE = os.environ.get("LIFECRM_API_USER_RATE", "100000/hour" if LIFECRM_ENV == "test" else "2000/hour")
LIFECRM_API_ANON_RATE = os.environ.get("LIFECRM_API_ANON_RATE", "100000/hour" if LIFECRM_ENV == "test" else "60/hour")
# == end Logins ================================================================================================

# --- HTTPS behind a TLS proxy (issue 14 §1; `lifecrm check --deploy` is clean with these in prod) -------------
# The proxy terminates TLS and says so in a header it always overwrites (docs/operations.md). Django redirects
# plain HTTP to HTTPS unless the proxy does it (LIFECRM_SSL_REDIRECT=false); the probes of the load balancer
# come in plain HTTP from inside and are never redirected.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # no script reads the token from the cookie: forms carry it, htmx sends it from the page
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SILENCED_SYSTEM_CHECKS: list[str] = []
if not INSECURE_ENV:
    SECURE_SSL_REDIRECT = _flag("LIFECRM_SSL_REDIRECT", True)
    if not SECURE_SSL_REDIRECT:  # the operator said the proxy redirects: Django's reminder (W008) is answered
        SILENCED_SYSTEM_CHECKS.append("security.W008")
    _proxy_header = os.environ.get("LIFECRM_PROXY_SSL_HEADER", "X-Forwarded-Proto").strip()
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
    SECURE_HSTS_SECONDS = _whole("LIFECRM_HSTS_SECONDS", 31536000, minimum=0, unit=" of seconds")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("LIFECRM_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _flag("LIFECRM_HSTS_PRELOAD", True)
    # An operator's explicit choice is not a warning: a zero max-age or a site that may not preload.
    if not SECURE_HSTS_SECONDS:
        SILENCED_SYSTEM_CHECKS.append("security.W004")
    if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
        SILENCED_SYSTEM_CHECKS.append("security.W005")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")
# --- end of HTTPS -------------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # logins (issue 14 §2): an unknown Authorization scheme is a 401; knox tokens (hashed, expiring); session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lifecrm.org.logins.KnownSchemeOnly",
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": LIFECRM_API_ANON_RATE, "user": LIFECRM_API_USER_RATE},
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lifecrm.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "lifecrm API",
    "DESCRIPTION": "REST API v1 of lifecrm, the customer service and customer value system.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # logins (issue 14 §2): the schema is served to logged-in staff only
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated", "lifecrm.org.access.StaffMayAct"],
    # KnownSchemeOnly authenticates nobody (it refuses unknown schemes): no security scheme of its own.
    "AUTHENTICATION_WHITELIST": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

# Mail: SMTP in production (EMAIL_HOST/EMAIL_PORT/EMAIL_HOST_USER/EMAIL_HOST_PASSWORD/EMAIL_USE_TLS as in
# Django); the demo writes each mail as a file under var/outbox/email/ (beside the SMS and letters);
# tests point at their own SMTP server.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if LIFECRM_ENV == "dev"
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "outbox" / "email"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = _whole("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _flag("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "service@lifecrm.invalid")
# Where the SMS gateway adapter's default and the PDF letters write (one file per message).
LIFECRM_SMS_OUTBOX = Path(os.environ.get("LIFECRM_SMS_OUTBOX", VAR_DIR / "outbox" / "sms"))
LIFECRM_LETTER_OUTBOX = Path(os.environ.get("LIFECRM_LETTER_OUTBOX", VAR_DIR / "outbox" / "letters"))
# The service desk's case attachments, encrypted under the field keys (lifecrm.service.attachments).
LIFECRM_CASE_ATTACHMENTS = Path(os.environ.get("LIFECRM_CASE_ATTACHMENTS", VAR_DIR / "case-attachments"))

# --- Logs and probes (issue 14 §1): one JSON object a line in prod, readable text in dev and test ---------------------
# Every record carries the request id (lifecrm.core.request_id: the X-Request-ID of the request, or of the
# command or Celery task that published the chunk being run).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if INSECURE_ENV else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "lifecrm.core.request_id.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "lifecrm.core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING" if INSECURE_ENV else "INFO")},
}
# /healthz waits this long for the Celery broker (lifecrm.core.health).
_broker_timeout = os.environ.get("LIFECRM_HEALTH_BROKER_TIMEOUT", "2")
try:
    LIFECRM_HEALTH_BROKER_TIMEOUT = float(_broker_timeout)
except ValueError:
    LIFECRM_HEALTH_BROKER_TIMEOUT = -1.0
if not 0 < LIFECRM_HEALTH_BROKER_TIMEOUT <= 30:
    raise ImproperlyConfigured(f"LIFECRM_HEALTH_BROKER_TIMEOUT must be seconds between 0 and 30, not {_broker_timeout!r}")
# The request id is taken (or made) before anything else, so that even a redirect to HTTPS answers with it.
MIDDLEWARE.insert(0, "lifecrm.core.request_id.RequestIdMiddleware")
# --- end of logs and probes --------------------------------------------------------------------------------------------

# --- The rest of production's refusals (issue 14 §1), once every setting is read -----------------------------
_creditors = os.environ.get("BANK_DEBIT_CREDITORS")
if _creditors:
    import json

    try:
        BANK_DEBIT_CREDITORS = json.loads(_creditors)
    except ValueError as error:
        raise ImproperlyConfigured(f"BANK_DEBIT_CREDITORS is not JSON: {error}") from None
    if not isinstance(BANK_DEBIT_CREDITORS, dict):
        raise ImproperlyConfigured("BANK_DEBIT_CREDITORS must be a JSON object: currency -> collection account")
if not INSECURE_ENV:
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(f"ALLOWED_HOSTS must be set when LIFECRM_ENV={LIFECRM_ENV}")
    from lifecrm.config.environment import misspelled

    _misspelled = misspelled(os.environ, extra_settings={name for name in list(globals()) if name.isupper()})
    if _misspelled:
        raise ImproperlyConfigured(
            "the environment holds settings lifecrm does not read (a misspelling is refused rather than ignored; "
            "name another program's variable in LIFECRM_ALLOW_ENV): " + "; ".join(_misspelled)
        )
# --- end of the refusals ------------------------------------------------------------------------------------
