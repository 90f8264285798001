"""Login, logout, the home page, the language switch and the error pages."""
from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from lifecrm.workbench.views import errors
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_with_a_password_lands_on_the_home_page(client, world):
    staff = world.staff["callcentre"]
    response = client.post("/login/", {"username": staff.user.username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    body = response.content.decode()
    assert staff.name in body
    assert "call-centre agent" in body
    assert "Beijing branch" in body


def test_a_wrong_password_says_so(client, world):
    response = client.post("/login/", {"username": world.staff["hq"].user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logout_is_post_only(login, world):
    client = login(world.staff["hq"])
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_the_admin_link_shows_only_for_django_staff(login, world):
    staff = world.staff["hq"]
    client = login(staff)
    assert reverse("admin:index") not in client.get("/").content.decode()
    staff.user.is_staff = True
    staff.user.save()
    assert reverse("admin:index") in client.get("/").content.decode()


def test_pages_are_in_traditional_chinese_by_default(login, world, settings):
    settings.LANGUAGE_CODE = "zh-hant"
    body = login(world.staff["hq"]).get(reverse("workbench:customer", args=[world.customer_a.pk])).content.decode()
    assert '<html lang="zh-Hant">' in body
    assert "保單" in body and "保单" not in body


@pytest.mark.parametrize("language, html_lang, policy_word", [
    ("zh-hant", "zh-Hant", "保單"), ("zh-hans", "zh-Hans", "保单"), ("en", "en", "Policies"),
])
def test_the_language_switch_changes_the_page(login, world, language, html_lang, policy_word):
    client = login(world.staff["hq"])
    url = reverse("workbench:customer", args=[world.customer_a.pk])
    response = client.post("/i18n/setlang/", {"language": language, "next": url})
    assert response.status_code == 302 and response["Location"] == url
    body = client.get(url).content.decode()
    assert f'<html lang="{html_lang}">' in body
    assert policy_word in body


def test_a_missing_page_is_a_friendly_404(login, world):
    response = login(world.staff["hq"]).get("/no-such-page/")
    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()


def test_the_500_page_shows_no_stack_trace(world):
    request = RequestFactory().get("/")
    response = errors.server_error(request)
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "Traceback" not in body


def test_an_exception_in_a_view_gives_the_500_page(login, world, monkeypatch):
    from lifecrm.workbench import pages

    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(pages, "customer_page", explode)
    client = login(world.staff["hq"])
    client.raise_request_exception = False
    response = client.get(reverse("workbench:customer", args=[world.customer_a.pk]))
    assert response.status_code == 500
    body = response.content.decode()
    assert "secret internals" not in body and "Traceback" not in body


def test_static_assets_are_local(login, world):
    body = login(world.staff["hq"]).get("/").content.decode()
    assert "/static/vendor/bootstrap/bootstrap.min.css" in body
    assert "/static/django_htmx/" in body
    assert "https://" not in body and "http://" not in body.replace('href="http://testserver', "")
