"""What a service message says: its template by step and language, rendered into subject, SMS and body.

A message is named by its template's path without the language: `billing/messages/demand` is the template
templates/billing/messages/demand.<language>.txt of the billing app (each app keeps its messages under its own
prefix). A message template has three sections, each opened by a marker line: `=== subject`, `=== sms` (the
short form) and `=== body` (e-mail, letter).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.template import Context, TemplateSyntaxError

from lifecrm.notifications.engine import engine

LANGUAGES = ("zh-hans", "zh-hant", "en")
# When a customer's preferred language is not one we write in: the jurisdiction's usual script.
JURISDICTION_LANGUAGE = {"CN": "zh-hans", "HK": "zh-hant", "TW": "zh-hant"}
DEFAULT_COMPANY_NAMES = {"zh-hans": "立孚人寿", "zh-hant": "立孚人壽", "en": "Lifecrm Life"}
SECTION = re.compile(r"^=== (subject|sms|body)[ \t]*$", re.MULTILINE)
SECTIONS = ("subject", "sms", "body")
WRITTEN = ("subject", "body")  # what an e-mail or a letter says
# What may come before the first section for the sections to be compiled one by one.
STANDALONE_PREAMBLE = re.compile(r"\s*(\{%\s*autoescape\s+off\s*%\})?\s*(\{#.*?#\}\s*)*", re.DOTALL)
AUTOESCAPE_END = re.compile(r"\{%\s*endautoescape\s*%\}\s*\Z")


@dataclass(frozen=True)
class Message:
    language: str
    subject: str
    sms: str
    body: str


def language_for(customer, jurisdiction: str) -> str:
    if customer.preferred_language in LANGUAGES:
        return customer.preferred_language
    return JURISDICTION_LANGUAGE.get(jurisdiction, "zh-hans")


def company_name(language: str) -> str:
    """Setting LIFECRM_COMPANY_NAMES (a dict by language) overrides the placeholder names."""
    names = getattr(settings, "LIFECRM_COMPANY_NAMES", DEFAULT_COMPANY_NAMES)
    return names.get(language) or DEFAULT_COMPANY_NAMES[language]


def format_date(day: date, language: str) -> str:
    if language == "en":
        return f"{day.day} {day:%B} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def salutation(customer, language: str) -> str:
    """张伟先生 / 陳美玲女士 / Mr Zhang Wei — the name as the letter addresses the customer."""
    if language == "en":
        title = {"M": "Mr ", "F": "Ms "}.get(customer.sex, "")
        return title + (customer.name_romanised or customer.name)
    return customer.name + {"M": "先生", "F": "女士"}.get(customer.sex, "")


def _once_per_process(lookup):
    """`lookup(names, language)` done once per process (a daily chunk renders thousands of messages); under
    DEBUG every time, so that an edited template shows at once. A settings change forgets what was found."""
    cached = lru_cache(maxsize=256)(lookup)
    setting_changed.connect(lambda **kwargs: cached.cache_clear(), weak=False)

    def found(names: tuple[str, ...], language: str):
        return (lookup if settings.DEBUG else cached)(names, language)

    return found


@_once_per_process
def _template(names: tuple[str, ...], language: str):
    """The first of the named templates (`<app>/messages/<name>`) that exists in `language`."""
    return engine().select_template([f"{name}.{language}.txt" for name in names])


def _split(text: str) -> dict[str, str]:
    parts = SECTION.split(text)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


@_once_per_process
def _sections(names: tuple[str, ...], language: str) -> tuple[bool, dict] | None:
    """Whether the template escapes HTML, and each of its sections compiled on its own; None when the sections
    do not stand alone (a preamble other than `{% autoescape off %}` and comments, or a tag across a marker)."""
    template = _template(names, language)
    name, source = template.origin.name, template.source
    sections = _split(source)
    missing = set(SECTIONS) - sections.keys()
    if missing:
        raise ValueError(f"template {name} lacks section(s) {sorted(missing)}")
    preamble = STANDALONE_PREAMBLE.fullmatch(SECTION.split(source, maxsplit=1)[0])
    if preamble is None:
        return None
    try:
        return preamble.group(1) is None, {part: template.engine.from_string(AUTOESCAPE_END.sub("", text))
                                           for part, text in sections.items()}
    except TemplateSyntaxError:
        return None


def render(*, names: list[str], language: str, context: dict, parts: tuple[str, ...] = SECTIONS) -> Message:
    """Render the first template of `names` that exists in `language` into a Message: the sections in `parts`
    (the others stay empty: an SMS needs only its own, a fifth of the template's rendering)."""
    if language not in LANGUAGES:
        raise ValueError(f"no templates in language {language!r}")
    compiled = _sections(tuple(names), language)
    if compiled is None:
        rendered = _split(_template(tuple(names), language).render(Context(context)))
    else:
        escape, sections = compiled
        rendered = {part: sections[part].render(Context(context, autoescape=escape)) for part in parts}
    texts = {part: rendered[part].strip() if part in parts else "" for part in SECTIONS}
    return Message(language, " ".join(texts["subject"].split()), texts["sms"], texts["body"])
