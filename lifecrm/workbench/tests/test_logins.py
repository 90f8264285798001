"""Logins (issue 14 §2): lockout per account and per address with HQ's unlock, the audit trail of logins,
the second factor for the roles that need it, session expiry, the administrator role, the API's tokens,
schemes and throttling."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from lifecrm.core.actors import SYSTEM
from lifecrm.core.models import AuditEvent
from lifecrm.org.logins import LOGIN_AT, SEEN_AT, client_ip
from lifecrm.org.services import admin_site_access_set
from tests.factories import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lockout_settings(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)


def _post_login(client, username, password, ip="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


# -- lockout and its audit trail ---------------------------------------------------------------------------

def test_failed_logins_lock_the_account_from_any_address_with_the_projects_page(world):
    user = world.staff["counter"].user
    client = Client()
    for n in range(3):  # three addresses: the account's count locks it, no address reaches the limit
        assert _post_login(client, user.username, "wrong-password", ip=f"10.0.1.{n}").status_code in (200, 429)
    response = _post_login(client, user.username, PASSWORD, ip="10.0.2.1")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode() and "<form" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failures = AuditEvent.objects.filter(action="login_failed", object_id=str(user.pk))
    assert failures.count() == 4  # the refused correct password during the lock counts too
    assert all(event.after["username"] == user.username for event in failures)
    assert not any("wrong-password" in str(event.after) or PASSWORD in str(event.after) for event in failures)
    assert failures.filter(after__locked=True).exists()


def test_failed_logins_lock_the_address_for_every_account(world):
    client = Client()
    for n in range(3):
        _post_login(client, f"nobody{n}", "wrong-password", ip="10.9.9.9")
    user = world.staff["callcentre"].user
    assert _post_login(client, user.username, PASSWORD, ip="10.9.9.9").status_code == 429
    assert _post_login(Client(), user.username, PASSWORD, ip="10.9.9.10").status_code == 302  # another address
    assert AuditEvent.objects.filter(action="login_failed", object_id="nobody0", actor=None).exists()


def test_hq_sees_and_unlocks_a_locked_account_and_the_unlock_is_audited(world, login):
    user = world.staff["counter"].user
    for n in range(3):
        _post_login(Client(), user.username, "wrong-password", ip=f"10.0.3.{n}")
    page = login(world.staff["hq"]).get("/logins/locked/")
    assert page.status_code == 200 and user.username in page.content.decode()
    response = login(world.staff["hq"]).post("/logins/locked/", {"kind": "account", "value": user.username})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    unlock = AuditEvent.objects.get(action="unlock")
    assert unlock.actor == world.staff["hq"].user and unlock.object_id == user.username
    assert _post_login(Client(), user.username, PASSWORD, ip="10.0.3.9").status_code == 302


def test_only_head_office_and_administrators_open_the_locked_logins(world, login):
    for role in ("branch", "counter", "callcentre", "agent", "branch_b"):
        assert login(world.staff[role]).get("/logins/locked/").status_code == 403, role
    admin = make_staff("admin", world.org.hq)
    assert login(admin).get("/logins/locked/").status_code == 200
    assert b"No login is locked" in login(admin).get("/logins/locked/").content


def test_login_and_logout_are_audited_with_the_address(world):
    user = world.staff["agent"].user
    client = Client()
    assert _post_login(client, user.username, PASSWORD, ip="10.1.1.1").status_code == 302
    login_event = AuditEvent.objects.get(action="login", actor=user)
    assert login_event.after == {"username": user.username, "ip": "10.1.1.1"}
    client.post("/logout/", REMOTE_ADDR="10.1.1.1")
    assert AuditEvent.objects.get(action="logout", actor=user).after["ip"] == "10.1.1.1"


def test_the_client_address_behind_a_proxy_comes_from_the_settings(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.LIFECRM_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.254"  # no proxy configured: a forged header is ignored
    settings.LIFECRM_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"


# -- the second factor -------------------------------------------------------------------------------------

def _code(device, drift=0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def test_roles_that_reveal_ids_or_approve_money_need_a_totp_code_when_required(world, settings):
    settings.LIFECRM_REQUIRE_OTP = True
    user = world.staff["hq"].user
    client = Client()
    response = _post_login(client, user.username, PASSWORD)
    assert response.status_code == 302
    first = client.get("/")
    assert first.status_code == 302 and first["Location"].startswith("/login/enrol/")
    enrol = client.get(first["Location"])
    assert enrol.status_code == 200 and "<svg" in enrol.content.decode() and "http" not in enrol.content.decode()[
        enrol.content.decode().index("<svg"):enrol.content.decode().index("</svg>")].replace(
        "http://www.w3.org/2000/svg", "")
    assert client.get("/api/v1/me/").json()["code"] == "second_factor_required"
    device = TOTPDevice.objects.get(user=user)
    wrong = client.post("/login/enrol/", {"token": "000000" if _code(device) != "000000" else "111111",
                                          "next": "/"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code holds the device back a second (django-otp's throttling)
    assert client.post("/login/enrol/", {"token": _code(device), "next": "/"})["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    # the next login asks for a code again (a later time step: a code is never accepted twice)
    second = Client()
    _post_login(second, user.username, PASSWORD)
    verify = second.get("/")
    assert verify["Location"].startswith("/login/verify/")
    assert second.post("/login/verify/", {"token": _code(device, drift=1), "next": "/"})["Location"] == "/"
    assert second.get("/").status_code == 200


def test_roles_without_sensitive_actions_log_in_with_the_password_alone(world, settings):
    settings.LIFECRM_REQUIRE_OTP = True
    for role in ("callcentre", "agent"):
        client = Client()
        _post_login(client, world.staff[role].user.username, PASSWORD)
        assert client.get("/").status_code == 200, role


def test_the_demo_and_tests_need_no_second_factor(world):
    client = Client()
    _post_login(client, world.staff["hq"].user.username, PASSWORD)
    assert client.get("/").status_code == 200


def _setting(env: str, name: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LIFECRM_", "SECRET_KEY", "DATABASE_URL"))}
    # keys strong enough for production's start checks (lifecrm.config.settings)
    clean.update(LIFECRM_ENV=env, SECRET_KEY=secrets.token_urlsafe(50), LIFECRM_FIELD_KEYS=Fernet.generate_key().decode(),
                 LIFECRM_HASH_KEY=secrets.token_urlsafe(32), ALLOWED_HOSTS="crm.example.com",
                 DJANGO_SETTINGS_MODULE="lifecrm.config.settings")
    code = f"from django.conf import settings; print(settings.{name})"
    done = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_production_requires_the_second_factor_and_the_demo_does_not():
    assert _setting("prod", "LIFECRM_REQUIRE_OTP") == "True"
    assert _setting("dev", "LIFECRM_REQUIRE_OTP") == "False"
    assert _setting("prod", "LIFECRM_SESSION_IDLE_MINUTES") == "30"
    assert _setting("prod", "SESSION_EXPIRE_AT_BROWSER_CLOSE") == "True"


# -- sessions ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "age"), [(SEEN_AT, 31 * 60), (LOGIN_AT, 10 * 3600 + 60)])
def test_idle_and_old_sessions_are_logged_out(world, login, key, age):
    client = login(world.staff["agent"])
    assert client.get("/").status_code == 200
    session = client.session
    session[key] = time.time() - age
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert AuditEvent.objects.get(action="logout", actor=world.staff["agent"].user).purpose == "session expired"
    assert "Your session ended" in client.get(response["Location"]).content.decode()


def test_an_active_session_stays(world, login):
    client = login(world.staff["agent"])
    session = client.session
    session[SEEN_AT] = time.time() - 29 * 60
    session.save()
    assert client.get("/").status_code == 200


# -- the administrator role and the admin site -------------------------------------------------------------

def test_administrators_administer_but_see_no_customers(world, login):
    admin = make_staff("admin", world.org.hq)
    admin_site_access_set(actor=SYSTEM, user=admin.user, role="admin")
    client = login(admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get("/admin/auth/user/add/").status_code == 403
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    # the logo and the error page's "Back to the workbench" lead to "/": on to their start page, not a refusal
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == "/logins/locked/"
    page = client.get("/logins/locked/").content.decode()
    assert 'role="search"' not in page and "/search/" not in page  # no customer search they could not run
    assert client.get("/search/", {"q": "张"}).status_code == 403
    assert client.get(f"/customers/{world.customer_a.pk}/").status_code == 403
    assert client.get("/api/v1/customers/").status_code == 403
    assert not admin.user.is_superuser


def test_hq_edits_reference_data_but_no_logins_or_tokens(world, login):
    hq = world.staff["hq"]
    admin_site_access_set(actor=SYSTEM, user=hq.user, role="hq")
    client = login(hq)
    assert client.get("/admin/core/jurisdictionrule/").status_code == 200
    assert client.get("/admin/api/apitoken/").status_code == 403
    assert client.get("/admin/auth/user/").status_code == 403
    assert not hq.user.is_superuser


# -- API tokens, schemes, throttling -----------------------------------------------------------------------

def _token(username, *args) -> str:
    out = StringIO()
    call_command("api-token", username, *args, stdout=out)
    return out.getvalue().split()[-1]


def test_api_tokens_are_stored_hashed_expire_and_are_revoked(world):
    user = world.staff["counter"].user
    key = _token(user.username, "--hours", "2")
    stored = AuthToken.objects.get(user=user)
    assert key not in (stored.digest, stored.token_key) and len(stored.digest) == 128
    assert timedelta(hours=1, minutes=59) < stored.expiry - timezone.now() <= timedelta(hours=2)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 200
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()  # an expired token is deleted
    key = _token(user.username)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 200
    call_command("api-token", user.username, "--revoke", stdout=StringIO())
    assert client.get("/api/v1/me/").status_code == 401


def test_no_api_token_for_a_superuser_or_a_login_without_staff_record(world):
    get_user_model().objects.create_superuser("root", "root@example.invalid", PASSWORD)
    get_user_model().objects.create_user("outsider", password=PASSWORD)
    with pytest.raises(CommandError, match="superuser"):
        _token("root")
    with pytest.raises(CommandError, match="no active staff record"):
        _token("outsider")
    assert not AuthToken.objects.exists()


@pytest.mark.parametrize("header", ["Basic Zm9vOmJhcg==", "Bearer x", "Digest abc"])
def test_an_unknown_authorization_scheme_is_401_even_with_a_session(world, login, header):
    client = login(world.staff["hq"])
    assert client.get("/api/v1/me/").status_code == 200
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "unsupported_authorization_scheme"


def test_api_calls_are_throttled_per_user_in_the_error_shape(world, login, monkeypatch):
    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "3/min"})
    client = login(world.staff["hq"])
    for _ in range(3):
        assert client.get("/api/v1/me/").status_code == 200
    response = client.get("/api/v1/me/")
    assert response.status_code == 429
    assert response.json()["status"] == 429 and response.json()["code"] == "throttled"
    assert login(world.staff["branch"]).get("/api/v1/me/").status_code == 200  # per user
    cache.clear()
