"""No page rendered in zh-Hant or zh-Hans shows a string that the catalogues translate.

Every staff page of the URLconf (tests/pagebook.py), some answers to bad input, the admin's index and token
list, and the 404 page
are rendered in both Chinese languages. Their visible text (text nodes, and the attributes a user reads:
title, placeholder, aria-label, alt, button values, the chart labels kept in data-* attributes) is compared
with every msgid that the loaded catalogues (lifecrm's, Django's, DRF's) translate to something else:
- a text segment that IS such a msgid (a label left in English) fails;
- a msgid's literal run of at least two words and ten letters found inside a segment fails (an English
  sentence with its values filled in: "premium due 2026-10-01 unpaid").
Shorter pieces inside a longer text are not compared: "to", "no" or "cash" inside a customer's e-mail
address or an ISO code are not leaks.
"""
from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import trans_real

from tests.pagebook import AS_OF, build_page_book, staff_pages

pytestmark = pytest.mark.django_db
LANGUAGES = ("zh-hant", "zh-hans")
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
NOT_READ_DATA = ("data-testid", "data-bs-")  # identifiers, not text
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdif]|\{\w*\}")
WORD_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,;:.]+[A-Za-z][A-Za-z'’-]*)+")
EDGE = " \t\n:：*·,.;()（）"


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.segments: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        attributes = dict(attrs)
        for name, value in attributes.items():
            shown = name in READ_ATTRIBUTES or (name.startswith("data-") and not name.startswith(NOT_READ_DATA))
            if tag == "input" and name == "value" and attributes.get("type") in ("submit", "button", "reset"):
                shown = True
            if shown and value:
                self.segments.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.segments.append(data)


def visible_text(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return [" ".join(s.split()) for s in parser.segments]


@cache
def translated_msgids(language: str) -> tuple[frozenset[str], re.Pattern]:
    """Every loaded catalogue entry translated to something else: its msgids without placeholders, and one
    pattern of the long literal runs of all of them."""
    catalogue = trans_real.translation(language)._catalog
    whole, runs = set(), set()
    for key in catalogue.keys():
        msgid = key[0] if isinstance(key, tuple) else key
        msgid = msgid.split("\x04")[-1]  # without its context
        if catalogue[key] in ("", msgid) or not re.search(r"[A-Za-z]{2}", msgid):
            continue
        if not PLACEHOLDER.search(msgid):
            whole.add(" ".join(msgid.split()).strip(EDGE))
        for literal in PLACEHOLDER.split(msgid):
            for run in WORD_RUN.findall(literal):
                run = run.strip(EDGE)
                # a run the translation keeps (column names such as "end_to_end_id, status, amount") is no leak
                if len(run.split()) >= 2 and sum(c.isalpha() for c in run) >= 10 and run not in catalogue[key]:
                    runs.add(run)
    alternatives = "|".join(re.escape(run) for run in sorted(runs, key=len, reverse=True))
    return frozenset(whole), re.compile(rf"(?<![\w.-])(?:{alternatives})(?![\w-])", re.ASCII)


def leaks(html: str, language: str) -> list[str]:
    whole, runs = translated_msgids(language)
    found = []
    for segment in visible_text(html):
        text = segment.strip(EDGE)
        if text in whole:
            found.append(text)
            continue
        found += [f"{run!r} in {segment!r}" for run in runs.findall(segment)]
    return found


def test_the_check_finds_english_left_on_a_chinese_page():
    page = ('<h1>保單</h1><label>Policies</label><p title="Premiums due">x</p><div>為何：premium due 2026-10-01 '
            'unpaid</div><p>xiaoming.to@example.com</p><script>var s = "Policies";</script>')
    assert leaks(page, "zh-hant") == ["Policies", "Premiums due", "'premium due' in '為何：premium due 2026-10-01 unpaid'"]
    assert leaks("<h1>保單</h1><p>CNY 120.50</p><p>AC04 · 帳戶已結清</p>", "zh-hant") == []


def _answers(client: Client, book) -> dict[str, str]:
    """Pages that answer bad input: a persistency request out of range, a refused bank file, a bad payment."""
    bad_file = SimpleUploadedFile("results.csv", b"end_to_end_id,status,amount,currency,value_date,reason_code\n"
                                                 b"E999999-1,paid,120.50,CNY,2026-10-09,\n", content_type="text/csv")
    return {
        "persistency 400": client.get(reverse("billing:persistency"), {"period_end": "2030-01"}),
        "bank file refused": client.post(reverse("banking:bank-files"), {"file": bad_file, "file_format": "csv"}),
        "payment refused": client.post(reverse("billing:payment-new"), {"policy": book.world.policy_q.number,
                                                                        "amount": "1e5", "method": "cash"}),
        "404": client.get("/customers/999999/"),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_chinese_page_shows_a_string_the_catalogues_translate(monkeypatch, language, admin_user):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: AS_OF)
    book = build_page_book()
    found: dict[str, list[str]] = {}
    clients: dict[str | None, Client] = {}
    for page in staff_pages(book):
        if page.login not in clients:
            clients[page.login] = Client(HTTP_ACCEPT_LANGUAGE=language)
            if page.login:
                clients[page.login].force_login(book.world.staff[page.login].user)
        response = clients[page.login].get(page.path)
        assert response.status_code == 200, (page, response.status_code)
        found[page.path] = leaks(response.content.decode(), language)
    for name, response in _answers(clients["hq"], book).items():
        assert response.status_code in (400, 404), (name, response.status_code)
        found[name] = leaks(response.content.decode(), language)
    admin = Client(HTTP_ACCEPT_LANGUAGE=language)
    admin.force_login(admin_user)
    for path in (reverse("admin:index"), reverse("admin:api_apitoken_changelist")):
        response = admin.get(path)
        assert response.status_code == 200, path
        found[path] = leaks(response.content.decode(), language)
    found = {where: sorted(set(texts)) for where, texts in found.items() if texts}
    assert not found, f"{language}: English text that the catalogues translate: {found}"

