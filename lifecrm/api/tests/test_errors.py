"""Every API error is the same JSON shape, in the request's language, and never a stack trace."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

SHAPE = {"status", "code", "detail"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert SHAPE <= set(body) <= SHAPE | {"fields"}
    assert body["status"] == status and body["code"] == code and body["detail"]
    return body


def test_shapes_of_401_403_404_400(world, django_user_model):
    assert_error(APIClient().get("/api/v1/customers/"), 401, "not_authenticated")
    user = django_user_model.objects.create_user(username="visitor", password="x-irrelevant-9")
    client = APIClient()
    client.force_login(user)
    assert_error(client.get("/api/v1/policies/"), 403, "no_staff_record")
    hq = world.client("hq")
    assert_error(hq.get("/api/v1/customers/999999/"), 404, "not_found")
    assert_error(hq.get("/api/v1/policies/0/"), 404, "not_found")
    body = assert_error(hq.get("/api/v1/policies/?status=x"), 400, "invalid")
    assert set(body["fields"]) == {"status"}


@pytest.mark.parametrize(
    "url",
    ["/api/v1/nothing/", "/api/v1/customers/abc/", "/api/v1/customers/1%0A/", "/api/v1/%0A", "/api/v1/customers/1234567890123456789/", "/api/v2/",
     "/api/v1/customers.json", "/api/schema/swagger/"],
)
def test_unknown_api_addresses_are_json_404(world, url):
    """Not the workbench's HTML page; no swagger without the offline sidecar assets."""
    assert_error(world.client("hq").get(url), 404, "not_found")


def test_write_methods_are_refused_as_json(world):
    client = world.client("hq")
    customer = world.customers["c_a"]
    assert_error(client.post("/api/v1/customers/", {}, format="json"), 405, "method_not_allowed")
    assert_error(client.delete(f"/api/v1/customers/{customer.pk}/"), 405, "method_not_allowed")
    assert_error(client.patch(f"/api/v1/policies/{world.policies['p_a'].pk}/", {}, format="json"), 405,
                 "method_not_allowed")


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_failure_is_a_500_without_stack_trace(world, settings, monkeypatch, caplog, debug):
    settings.DEBUG = debug

    def explode(**kwargs):
        raise RuntimeError("secret internals: /srv/lifecrm/db password=hunter2")

    monkeypatch.setattr("lifecrm.parties.api.customer_consents", explode)
    response = world.client("hq").get(f"/api/v1/customers/{world.customers['c_a'].pk}/")
    body = assert_error(response, 500, "server_error")
    text = response.content.decode()
    assert "Traceback" not in text and "secret internals" not in text and "hunter2" not in text
    assert body["detail"]
    assert any("unhandled API error" in record.message for record in caplog.records)



NOT_FOUND = {"en": "Not found.", "zh-hant": "找不到資源。", "zh-hans": "未找到。"}
NOT_AUTHENTICATED = {"en": "Authentication credentials were not provided.", "zh-hant": "未提供身分驗證憑證。",
                     "zh-hans": "身份认证信息未提供。"}


@pytest.mark.parametrize("language", sorted(NOT_FOUND))
@pytest.mark.parametrize("url", ["/api/v1/suspense-accounts/999999/", "/api/v1/customers/999999/",
                                 "/api/v1/policies/999999/", "/api/v1/payments/999999/", "/api/v1/due-items/999999/"])
def test_a_404_is_in_the_request_language_and_names_no_model(world, url, language):
    body = assert_error(world.client("hq").get(url, HTTP_ACCEPT_LANGUAGE=language), 404, "not_found")
    assert body["detail"] == NOT_FOUND[language]  # not "No SuspenseAccount matches the given query."


@pytest.mark.parametrize("language", sorted(NOT_AUTHENTICATED))
def test_a_401_is_in_the_request_language(world, language):
    body = assert_error(APIClient().get("/api/v1/customers/", HTTP_ACCEPT_LANGUAGE=language), 401, "not_authenticated")
    assert body["detail"] == NOT_AUTHENTICATED[language]


def _drf_messages() -> set[str]:
    """Every message DRF can answer with: its exceptions, its fields' errors, token authentication's."""
    import inspect

    from django.utils import translation
    from rest_framework import authentication, exceptions, fields, relations, serializers

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    with translation.override(None):  # the msgids
        found = {str(cls.default_detail) for cls in subclasses(exceptions.APIException)
                 if cls.__module__.startswith("rest_framework")}
        for module in (fields, relations, serializers):
            for _, cls in inspect.getmembers(module, inspect.isclass):
                found |= {str(message) for message in getattr(cls, "default_error_messages", {}).values()}
    source = inspect.getsource(authentication)  # its messages are inline _("…") calls
    import re

    found |= {m for m in re.findall(r'_\(\s*[\'"](.+?)[\'"]\s*\)', source)}
    return found


@pytest.mark.parametrize("language", ["zh-hant", "zh-hans"])
def test_every_message_drf_can_answer_with_is_translated(language):
    """DRF's own zh_Hant catalogue lacks most of them ("Authentication credentials were not provided."…):
    lifecrm's catalogues complete it."""
    from django.utils import translation

    messages = _drf_messages()
    assert len(messages) > 60
    with translation.override(language):
        untranslated = sorted(m for m in messages if translation.gettext(m) == m)
    assert not untranslated, f"{language}: add to lifecrm/locale: {untranslated}"
