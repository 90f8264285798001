"""`{% once %}` (workbench template tags): a block rendered once per process for each language and each set of
its values, then written as it was; rendered afresh while DEBUG is on."""
from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

from lifecrm.workbench.templatetags import workbench

TEMPLATE = Template('{% load i18n workbench %}{% once "test-block" kind %}{{ counter.next }}/{{ kind }}/'
                    '{% translate "Search" %}{% endonce %}')


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def next(self) -> int:
        self.count += 1
        return self.count


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.DEBUG = False
    workbench._ONCE.clear()
    yield
    workbench._ONCE.clear()


def _render(counter: Counter, kind, language: str = "en") -> str:
    with translation.override(language):
        return TEMPLATE.render(Context({"counter": counter, "kind": kind}))


def test_a_block_is_rendered_once_per_language_and_values():
    counter = Counter()
    assert _render(counter, "a") == "1/a/Search"
    assert _render(counter, "a") == "1/a/Search"  # written as it was: not rendered again
    assert _render(counter, "b") == "2/b/Search"  # another value
    assert _render(counter, "a", "zh-hant") == f"3/a/{_translated('Search', 'zh-hant')}" != "3/a/Search"
    assert _render(counter, None) == "4/None/Search"
    assert counter.count == 4


def _translated(text: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def test_debug_renders_every_time(settings):
    settings.DEBUG = True
    counter = Counter()
    assert _render(counter, "a") == "1/a/Search"
    assert _render(counter, "a") == "2/a/Search"


def test_the_block_needs_a_quoted_name():
    with pytest.raises(TemplateSyntaxError, match="quoted name"):
        Template("{% load workbench %}{% once name %}x{% endonce %}")
