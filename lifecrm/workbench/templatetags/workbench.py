"""Template filters of the workbench: status badge colours, money, counts, dates and the language switch."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from lifecrm.value.reasons import reasons_text

register = template.Library()

_MENUS: dict[tuple, str] = {}  # rendered app menus by (scope kind, role, language, page's namespace and name)
MAX_MENUS = 500


@register.simple_tag(takes_context=True)
def app_menus(context) -> str:
    """The apps' menus of the navbar (workbench/partials/app_menus.html), rendered once per process for each
    scope kind, role, language and page: an entry shows by the role and scope kind alone (`may`), and is marked
    active by the page's URL name. Rendered afresh every time while DEBUG is on (templates may change)."""
    request = context.get("request")
    scope = getattr(request, "scope", None)
    match = getattr(request, "resolver_match", None)
    key = (getattr(scope, "kind", None), getattr(scope, "role", None), translation.get_language(),
           getattr(match, "namespace", None), getattr(match, "url_name", None))
    html = _rendered_once(_MENUS, MAX_MENUS, key, lambda: render_to_string(
        "workbench/partials/app_menus.html", context.flatten(), request))
    return mark_safe(html)  # noqa: S308 - our own templates' output, escaped as they rendered


def _rendered_once(store: dict[tuple, str], most: int, key: tuple, render: Callable[[], str]) -> str:
    """The HTML `store` keeps under `key`, rendered and kept the first time (the store is emptied when it holds
    `most`); rendered every time while DEBUG is on (templates may change)."""
    html = store.get(key)
    if html is None:
        html = render()
        if not settings.DEBUG:
            if len(store) >= most:
                store.clear()
            store[key] = html
    return html


_ONCE: dict[tuple, str] = {}  # rendered {% once %} blocks by (name, language, the values they vary on)
MAX_ONCE = 2000


class OnceNode(template.Node):
    def __init__(self, name: str, vary_on: list, nodelist) -> None:
        self.name, self.vary_on, self.nodelist = name, vary_on, nodelist

    def render(self, context) -> str:
        values = [expression.resolve(context) for expression in self.vary_on]
        key = (self.name, translation.get_language(),
               *(v if v is None or isinstance(v, (str, int)) else str(v) for v in values))
        return _rendered_once(_ONCE, MAX_ONCE, key, lambda: self.nodelist.render(context))


@register.tag
def once(parser, token):
    """`{% once "name" value… %}…{% endonce %}`: the block rendered once per process for each language and each
    set of the values after its name, then written as it was (the customer 360 writes the same menus, choices and
    labels for every customer; rendering them is a tenth of its CPU). The block must show nothing but what its
    values and the language say: a CSRF token, a URL or a field's value stays outside or among the values. Rendered
    afresh every time while DEBUG is on (templates may change)."""
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "'\"" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("{% once %} takes a quoted name, then the values it varies on")
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    return OnceNode(bits[1][1:-1], [parser.compile_filter(bit) for bit in bits[2:]], nodelist)


# Bootstrap colour of each policy status: green runs, amber needs attention, red has stopped cover.
STATUS_BADGE_CLASSES = {
    "proposal": "text-bg-info",
    "in_force": "text-bg-success",
    "grace": "text-bg-warning",
    "suspended": "text-bg-danger",
    "reinstated": "text-bg-primary",
    "paid_up": "text-bg-secondary",
    "surrendered": "text-bg-dark",
    "lapsed": "text-bg-danger",
    "matured": "text-bg-dark",
    "terminated": "text-bg-dark",
    "cooling_off_cancelled": "text-bg-dark",
    "premium_waived": "text-bg-success",
}


@register.filter
def status_badge(status: str) -> str:
    """The Bootstrap badge classes for a policy status."""
    return STATUS_BADGE_CLASSES.get(status, "text-bg-light")


@register.filter
def money(amount, currency: str = "") -> str:
    """`500000` → `500,000.00`, prefixed with the currency code when one is given."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    text = f"{value:,.2f}"
    return f"{currency} {text}" if currency else text


@register.filter
def grouped(number) -> str:
    """`1004` → `1,004`: a count with thousands grouped, as the money amounts are."""
    try:
        return f"{int(number):,}"
    except (TypeError, ValueError):
        return str(number)


@register.filter
def ymd(value) -> str:
    """A date (or an aware datetime, in the local time zone) as YYYY-MM-DD, readable in every language."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return ""


@register.filter
def ymd_hm(value) -> str:
    """An aware datetime in the local time zone as YYYY-MM-DD HH:MM."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%Y-%m-%d %H:%M")
    return ymd(value)


@register.filter
def html_lang(language_code: str) -> str:
    """Django's `zh-hant` as the BCP 47 tag browsers and fonts expect: `zh-Hant`."""
    head, _, tail = (language_code or "").partition("-")
    if head == "zh" and tail:
        return f"zh-{tail.capitalize()}"
    return language_code


@register.filter
def local_name(obj) -> str:
    """An org unit's or product's English name on English pages (when it has one), else its own name."""
    if obj is None:
        return ""
    english = getattr(obj, "name_en", "")
    if english and (translation.get_language() or "").startswith("en"):
        return english
    name = getattr(obj, "name", None)  # str(obj) only for an object without a name (it may read more columns)
    return str(obj) if name is None else name


@register.filter
def value_reasons(reasons: dict | None) -> list[str]:
    """A segment's or a customer value's stored reasons ({component: [reason, ...]}) as sentences in the active
    language, component after component."""
    return [text for texts in reasons_text(reasons or {}).values() for text in texts]
