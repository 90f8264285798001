"""An HQ manager's first login in production: the password, then the second factor's enrolment (a QR code
drawn inline, no CDN), a code from the authenticator, the workbench; the next login asks for a code."""
from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, make_org, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(secret: str, drift: int = 0) -> str:
    """The code an authenticator app shows for this key now (RFC 6238, 30-second steps, 6 digits)."""
    return f"{totp(b32decode(secret), step=30, t0=0, digits=6, drift=drift):06d}"


def _password(page: Page, url: str, username: str) -> None:
    page.goto(url + "/")
    page.get_by_label("使用者名稱").fill(username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()


def test_hq_enrols_a_second_factor_and_needs_it_at_the_next_login(page: Page, live_server, settings, screenshots):
    settings.LIFECRM_REQUIRE_OTP = True
    hq = make_staff("hq", make_org().hq, username="hq-otp", name="總部經理")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    _password(page, live_server.url, hq.user.username)
    expect(page).to_have_url(re.compile(r"/login/enrol/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("設定第二重驗證")
    expect(page.locator("#otp-qr svg")).to_be_visible()
    page.screenshot(path=str(screenshots / "otp-enrol-zh-hant.png"), full_page=True)
    secret = page.locator("#otp-secret").inner_text().strip()
    page.get_by_label("驗證碼").fill(_code(secret))
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(hq.name)
    assert all(url.startswith(live_server.url) for url in requests), "a page loaded something from elsewhere"

    page.context.clear_cookies()
    _password(page, live_server.url, hq.user.username)
    expect(page).to_have_url(re.compile(r"/login/verify/"))
    page.get_by_label("驗證碼").fill(_code(secret, drift=1))  # the next time step: a code is never taken twice
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(hq.name)
