"""Logins (issue 14 §2): the audit trail of logins, logouts and failures, session expiry, the second factor's
gate, the client's address behind a proxy, the API's refusal of unknown Authorization schemes, and the
locked logins HQ sees and unlocks.

The lockout itself is django-axes' (settings: AXES_*); the second factor is django-otp's TOTP device
(`org.rules.needs_second_factor` says which roles need it, `settings.LIFECRM_REQUIRE_OTP` whether it is on).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models import Max, Sum
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from lifecrm.core.models import AuditEvent
from lifecrm.core.services import audit_record
from lifecrm.org.access import Action, authorize
from lifecrm.org.rules import needs_second_factor
from lifecrm.org.selectors import data_scope_for_user

LOGIN_AT = "lifecrm_login_at"  # session keys: when the password was accepted, and the last request seen
SEEN_AT = "lifecrm_seen_at"
EXPIRED = "lifecrm_session_expired"  # set on the fresh session after an expiry: the login page says why
SEEN_GRANULARITY = 60  # seconds: the session is written at most once a minute to record activity


# -- the client's address ---------------------------------------------------------------------------------

def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind LIFECRM_TRUSTED_PROXY_COUNT proxies the entry of
    X-Forwarded-For that many places from the right (entries further left are the client's own claims)."""
    count = getattr(settings, "LIFECRM_TRUSTED_PROXY_COUNT", 0)
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) >= count:
        return forwarded[-count]
    return remote


# -- the audit trail of logins ------------------------------------------------------------------------------

def _on_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[LOGIN_AT] = now
        request.session[SEEN_AT] = now
    audit_record(actor=user, action=AuditEvent.Action.LOGIN, object_type="auth.user", object_id=user.pk,
                 after={"username": user.get_username(), "ip": client_ip(request) if request else ""})


def _on_logout(sender, request, user, **kwargs) -> None:
    if user is None or not getattr(user, "pk", None):
        return
    reason = getattr(request, "lifecrm_logout_reason", "") if request is not None else ""
    audit_record(actor=user, action=AuditEvent.Action.LOGOUT, object_type="auth.user", object_id=user.pk,
                 purpose=reason, after={"username": user.get_username(),
                                        "ip": client_ip(request) if request else ""})


def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """A failed login, by username and address: never the password (Django has already masked it; only the
    username is read here)."""
    from django.contrib.auth import get_user_model

    username = str(credentials.get("username") or "")[:150]
    user = get_user_model().objects.filter(username=username).first() if username else None
    locked = bool(getattr(request, "axes_locked_out", False)) if request is not None else False
    audit_record(actor=user, action=AuditEvent.Action.LOGIN_FAILED, object_type="auth.user",
                 object_id=(user.pk if user else username[:64]),
                 after={"username": username, "ip": client_ip(request) if request is not None else "",
                        "locked": locked})


def connect_signals() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="lifecrm.org.logins.login")
    user_logged_out.connect(_on_logout, dispatch_uid="lifecrm.org.logins.logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="lifecrm.org.logins.failed")


# -- session expiry -----------------------------------------------------------------------------------------

class SessionExpiryMiddleware:
    """Logs a session out after LIFECRM_SESSION_IDLE_MINUTES without a request and LIFECRM_SESSION_MAX_HOURS
    after its login (the request then continues as anonymous: a page goes to the login, the API answers 401)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            session = request.session
            login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
            if login_at is None or seen_at is None:
                session[LOGIN_AT] = login_at or now
                session[SEEN_AT] = now
            elif (now - login_at > settings.LIFECRM_SESSION_MAX_HOURS * 3600
                  or now - seen_at > settings.LIFECRM_SESSION_IDLE_MINUTES * 60):
                request.lifecrm_logout_reason = "session expired"
                logout(request)
                request.session[EXPIRED] = True
            elif now - seen_at > SEEN_GRANULARITY:
                session[SEEN_AT] = now
        return self.get_response(request)


# -- the second factor --------------------------------------------------------------------------------------

SECOND_FACTOR_EXEMPT = ("/login/", "/logout/", "/static/", "/i18n/", "/healthz", "/readyz")


def second_factor_required(user) -> bool:
    """Whether this login must show a TOTP code before it may do anything (settings.LIFECRM_REQUIRE_OTP)."""
    if not settings.LIFECRM_REQUIRE_OTP or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    role = data_scope_for_user(user).role  # the staff record the page reads anyway, read once per request
    return bool(role) and needs_second_factor(role)


def has_confirmed_device(user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class SecondFactorMiddleware:
    """After the password, a login whose role needs a second factor reaches nothing but the verification (or,
    the first time, the enrolment) page; the API answers 401 `second_factor_required` to its session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and settings.LIFECRM_REQUIRE_OTP and user.is_authenticated
                and not request.path_info.startswith(SECOND_FACTOR_EXEMPT)
                and not user.is_verified() and second_factor_required(user)):
            if request.path_info.startswith("/api/"):
                # the API's error shape (lifecrm.api.errors, a layer above)
                return JsonResponse({"status": 401, "code": "second_factor_required", "detail": _(
                    "Log in with your second factor (a code from your authenticator app) first.")}, status=401)
            target = "workbench:otp-verify" if has_confirmed_device(user) else "workbench:otp-enrol"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


# -- the API: no silent fallback to the session -------------------------------------------------------------

class KnownSchemeOnly(BaseAuthentication):
    """First of the API's authentication classes: an Authorization header whose scheme the API does not take
    (Basic, Bearer, …) is a 401, never silently ignored in favour of the session cookie."""

    KNOWN = (b"token",)

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if header and header[0].lower() not in self.KNOWN:
            raise exceptions.AuthenticationFailed(
                _("This API takes only 'Authorization: Token <token>'; the scheme sent is not supported."),
                code="unsupported_authorization_scheme")
        return None

    def authenticate_header(self, request) -> str:
        return "Token"


# -- locked logins: what HQ sees and unlocks ---------------------------------------------------------------

@dataclass(frozen=True)
class LockedLogin:
    kind: str  # "account" | "address"
    value: str  # the username or the address
    failures: int
    last_attempt: datetime
    unlocks_at: datetime | None


def locked_logins(*, now: datetime) -> list[LockedLogin]:
    """Accounts and addresses locked now (failures at the limit within the cool-off), newest first."""
    from axes.models import AccessAttempt

    cooloff: timedelta | None = settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.all()
    if cooloff:
        recent = recent.filter(attempt_time__gte=now - cooloff)
    rows: list[LockedLogin] = []
    for kind, field in (("account", "username"), ("address", "ip_address")):
        grouped = (recent.exclude(**{f"{field}__isnull": True}).exclude(**{field: ""}).values(field)
                   .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
                   .filter(failures__gte=settings.AXES_FAILURE_LIMIT))
        for row in grouped:
            rows.append(LockedLogin(kind=kind, value=row[field], failures=row["failures"], last_attempt=row["last"],
                                    unlocks_at=row["last"] + cooloff if cooloff else None))
    rows.sort(key=lambda r: r.last_attempt, reverse=True)
    return rows


class UnlockRefused(ValueError):
    """An unlock that names no locked account or address."""


def login_unlock(*, actor, kind: str, value: str) -> int:
    """Lift the lock of an account (`kind="account"`, a username) or an address; audited. Returns the number of
    attempt records removed. Head office only (`Action.MANAGE_LOGINS`): the service checks its actor itself."""
    from axes.utils import reset

    authorize(actor, Action.MANAGE_LOGINS)
    if kind not in ("account", "address") or not value.strip():
        raise UnlockRefused(_("Name a locked account or address to unlock."))
    with transaction.atomic():
        removed = reset(username=value) if kind == "account" else reset(ip=value)
        if not removed:
            raise UnlockRefused(_("%(value)s is not locked.") % {"value": value})
        audit_record(actor=actor, action=AuditEvent.Action.UNLOCK, object_type=f"login.{kind}",
                     object_id=value[:64], before={"attempts": removed}, after={"attempts": 0})
    return removed
