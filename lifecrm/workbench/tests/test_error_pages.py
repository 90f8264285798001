"""The 400, 403, 404 and 500 pages are the project's own, in the user's language, with DEBUG off; the 500 page
needs neither the database nor the request."""
from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import reverse
from django.utils import translation

from lifecrm.workbench.views import errors

pytestmark = pytest.mark.django_db

# language -> (html lang, the 403 heading, the 404 heading, the 500 heading) as the catalogues say them
LANGUAGES = {
    "en": ("en", "You may not open this page", "Nothing here", "Something went wrong"),
    "zh-hant": ("zh-Hant", "您無權開啟此頁面", "這裡沒有內容", "發生錯誤"),
    "zh-hans": ("zh-Hans", "您无权打开此页面", "这里没有内容", "出错了"),
}


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False  # Django shows its own technical pages with DEBUG on


def in_language(client, language):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_the_catalogues_hold_the_headings_the_tests_expect():
    for language, (_, forbidden, missing, failed) in LANGUAGES.items():
        with translation.override(language):
            assert [translation.gettext(s) for s in ("You may not open this page", "Nothing here",
                                                     "Something went wrong")] == [forbidden, missing, failed]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_404_is_the_projects_page_in_the_users_language(login, world, language):
    html_lang, _, missing, _ = LANGUAGES[language]
    for client in (in_language(login(world.staff["agent"]), language), in_language(Client(), language)):
        response = client.get("/no-such-page/")
        body = response.content.decode()
        assert response.status_code == 404
        assert f'<html lang="{html_lang}">' in body and missing in body
        assert "/static/workbench/workbench.css" in body  # the site's layout, not Django's bare page


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_an_out_of_scope_record_is_the_same_404(login, world, language):
    _, _, missing, _ = LANGUAGES[language]
    client = in_language(login(world.staff["agent"]), language)
    response = client.get(reverse("workbench:customer", args=[world.customer_b.pk]))
    assert response.status_code == 404 and missing in response.content.decode()
    assert world.customer_b.name not in response.content.decode()


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_403_is_the_projects_page_in_the_users_language(login, world, language):
    html_lang, forbidden, _, _ = LANGUAGES[language]
    response = in_language(login(world.staff["claims"]), language).get(reverse("billing:dashboard"))
    body = response.content.decode()
    assert response.status_code == 403
    assert f'<html lang="{html_lang}">' in body and forbidden in body
    assert 'action="/logout/"' in body


def test_a_refused_csrf_token_is_the_projects_403(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.staff["hq"].user)
    response = in_language(client, "zh-hans").post("/logout/")
    body = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="zh-Hans">' in body and "您无权打开此页面" in body
    with translation.override("zh-hans"):
        assert translation.gettext("The form had expired or came from elsewhere. Go back, reload the page and "
                                   "send it again.") in body


def test_a_bad_request_is_the_projects_400(world, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = in_language(Client(), "zh-hant").get("/", HTTP_HOST="evil.example")  # DisallowedHost
    assert response.status_code == 400
    assert '<html lang="zh-Hant">' in response.content.decode()
    assert "Bad Request (400)" not in response.content.decode()


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_500_is_the_projects_page_in_the_users_language(login, world, monkeypatch, language):
    from lifecrm.workbench import pages

    html_lang, _, _, failed = LANGUAGES[language]

    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(pages, "customer_page", explode)
    client = in_language(login(world.staff["hq"]), language)
    client.raise_request_exception = False
    response = client.get(reverse("workbench:customer", args=[world.customer_a.pk]))
    body = response.content.decode()
    assert response.status_code == 500
    assert f'<html lang="{html_lang}">' in body and failed in body
    assert "secret internals" not in body and "Traceback" not in body


def test_the_500_page_needs_neither_the_database_nor_the_request(monkeypatch, django_assert_num_queries):
    def no_database(*args, **kwargs):
        raise AssertionError("the 500 page touched the database")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", no_database)
    with translation.override("zh-hans"), django_assert_num_queries(0):
        response = errors.server_error(None)
    body = response.content.decode()
    assert response.status_code == 500 and "出错了" in body and '<html lang="zh-Hans">' in body
    assert "/static/vendor/bootstrap/bootstrap.min.css" in body


def test_the_500_page_renders_when_the_database_is_down(login, world, monkeypatch):
    """The view fails because the database does: the page still comes, from the template alone."""
    from django.db.utils import OperationalError

    from lifecrm.workbench import pages

    client = in_language(login(world.staff["hq"]), "zh-hant")
    client.raise_request_exception = False

    def database_down(**kwargs):
        monkeypatch.setattr(BaseDatabaseWrapper, "cursor", lambda *a, **k: (_ for _ in ()).throw(
            OperationalError("connection refused")))
        raise OperationalError("connection refused")

    monkeypatch.setattr(pages, "customer_page", database_down)
    response = client.get(reverse("workbench:customer", args=[world.customer_a.pk]))
    assert response.status_code == 500 and "發生錯誤" in response.content.decode()
