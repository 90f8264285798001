"""The admin site speaks the user's language and names the product, never "Django administration"."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TITLES = {"zh-hant": "lifecrm 系統管理", "zh-hans": "lifecrm 系统管理", "en": "lifecrm administration"}
TOKENS = {"zh-hant": "API 權杖", "zh-hans": "API 令牌", "en": "API tokens"}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)))


@pytest.mark.parametrize("language", sorted(TITLES))
def test_admin_pages_name_the_product_in_the_users_language(admin_client, language):
    index = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    tokens = admin_client.get(reverse("admin:api_apitoken_changelist"),
                              HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for html in (index, tokens):
        assert "<title>" in html and TITLES[language] in html
        assert "Django" not in _text(html)
    assert TOKENS[language] in _text(index)
    if language != "en":
        assert not re.search(r"\bTokens?\b", _text(index) + _text(tokens))
