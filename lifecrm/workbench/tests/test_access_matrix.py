"""Every URL × every kind of user: the pages, htmx fragments, exports and API operations each may reach.

ONE table (`EXPECTED`) says, for each URL name (and method), which users get the page; everyone else gets what
the access rules say for them: a logged-out visitor the login page (the API: 401/403), a login without an active
staff record and a role without the grant 403, a role with the grant whose scope does not hold the page's object
404 (`hidden`). A URL added to any URLconf, or an API operation added to the OpenAPI schema, without a row here
fails `test_every_url_has_an_expectation`, naming it. A role added to `Staff.Role` without a column here fails
`test_every_role_is_in_the_matrix` (add it to `STAFF_ROLES` and to the rows that grant it).

The objects are the page book's (`tests/pagebook.py`): customer_id the agent's customer in team A, policy_id a
branch A policy without an agent (outside the team-A counter clerk's and the agent's scope), payment_id a
counter payment on it, bank_file_id our collection file and the bank's answer, reminder_id the agent's task.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from drf_spectacular.generators import SchemaGenerator

from lifecrm.billing.models import DueItem
from lifecrm.org.models import Staff
from lifecrm.service.models import Interaction
from tests.factories import make_staff
from tests.pagebook import build_page_book

# The staff users of the matrix: one per role (branch A; the counter clerk and the agent in team A; HQ at HQ),
# plus a manager of another branch ("branch_b"), who has the branch role but none of the book's objects in scope.
STAFF_ROLES = ("hq", "branch", "counter", "callcentre", "claims", "agent", "admin")
STAFF = frozenset(STAFF_ROLES) - {"admin"}  # the workbench's users: the administrator has no workbench
OTHERS = ("branch_b", "anonymous", "no_staff", "inactive_staff")
# Every login, whatever its staff record: the second factor's steps come before any role is read.
LOGGED_IN = frozenset(STAFF_ROLES) | {"branch_b", "no_staff", "inactive_staff"}
MANAGEMENT = frozenset({"hq", "branch"})
TAKES_PAYMENT = frozenset({"hq", "branch", "counter"})
HANDLES_CASES = frozenset({"hq", "branch", "counter", "callcentre", "claims"})  # service.handle_case, not agents
HANDLES_CLAIMS = frozenset({"hq", "branch", "claims"})  # claims.handle


@dataclass(frozen=True)
class Expect:
    ok: frozenset = frozenset()  # who gets the page (2xx, a form's 400/409, a redirect other than to the login)
    hidden: frozenset = frozenset()  # who has the grant but not the object in scope: 404
    public: bool = False  # everyone, logged in or not, gets it
    everyone: str | None = None  # what everyone gets: "login" (a redirect to it), "404"…
    api: bool = False  # logged-out callers get 401/403, not the login page
    query: dict = field(default_factory=dict)


def page(ok, hidden=(), **kw) -> Expect:
    return Expect(frozenset(ok), frozenset(hidden), **kw)


def api(ok, hidden=(), **kw) -> Expect:
    return Expect(frozenset(ok), frozenset(hidden), api=True, **kw)


PUBLIC = Expect(public=True)
# The whole company's collection file: only management working at HQ.
HQ_ONLY = frozenset({"hq"})
# policy_id (and payment_id, a payment on it) is branch A's, without an agent: the team-A counter clerk and the
# agent do not see it, nor does the manager of branch B.
POLICY_HIDDEN = ("counter", "agent", "branch_b")

# (URL name, method) → who gets it. Unnamed patterns are keyed by their route.
EXPECTED: dict[tuple[str, str], Expect] = {
    # workbench
    ("healthz", "GET"): PUBLIC,
    ("readyz", "GET"): PUBLIC,
    ("workbench:locked-logins", "GET"): page(HQ_ONLY | {"admin"}),  # unlocking logins: head office, administrators
    ("workbench:login", "GET"): PUBLIC,
    ("workbench:otp-verify", "GET"): page(LOGGED_IN),  # without a device: on to the enrolment
    ("workbench:otp-enrol", "GET"): page(LOGGED_IN),
    ("workbench:logout", "POST"): Expect(everyone="login"),  # back to the login page, whoever asks
    ("workbench:home", "GET"): page(STAFF | {"branch_b", "admin"}),  # the administrator: on to the locked logins
    # value: management and agents (their own book; another branch's manager sees an empty board)
    ("value:dashboard", "GET"): page({"hq", "branch", "agent", "branch_b"}),
    ("value:dashboard-export", "GET"): page({"hq", "branch", "agent", "branch_b"}),
    ("value:thresholds", "GET"): page(HQ_ONLY),  # head office sets them

    ("service:care-rules", "GET"): page(MANAGEMENT | {"branch_b"}),  # care rules and the runs' counts
    ("workbench:search", "GET"): page(STAFF | {"branch_b"}),
    ("workbench:work", "GET"): page(STAFF | {"branch_b"}),  # the full list of one's own work
    ("workbench:day-receipts", "GET"): page(TAKES_PAYMENT | {"branch_b"}),  # the payments taken at one's unit today
    ("workbench:customer", "GET"): page(STAFF, ["branch_b"]),
    ("workbench:customer-relationships", "GET"): page(STAFF, ["branch_b"]),  # htmx fragments
    ("workbench:customer-policies", "GET"): page(STAFF, ["branch_b"]),
    ("workbench:customer-timeline", "GET"): page(STAFF, ["branch_b"]),
    ("workbench:reveal-id", "POST"): page({"hq", "branch", "counter", "claims"}, ["branch_b"]),
    ("workbench:personal-data-export", "POST"): page(HQ_ONLY),  # a customer's data under PIPL: head office
    ("workbench:policy", "GET"): page(STAFF - set(POLICY_HIDDEN), POLICY_HIDDEN),
    ("workbench:policy-events", "GET"): page(STAFF - set(POLICY_HIDDEN), POLICY_HIDDEN),
    # the owner's delivery receipt: who processes servicing (the team-A counter clerk does not see the policy)
    ("workbench:policy-delivery", "POST"): page({"hq", "branch"}, ["counter", "branch_b"]),  # agents: no role
    # billing
    ("billing:dashboard", "GET"): page(MANAGEMENT | {"branch_b"}),
    ("billing:worklist", "GET"): page({"hq", "branch", "branch_b", "callcentre", "agent"}),
    # the agent's own task: the call centre and HQ work the queue, which it is not in
    ("billing:task-outcome", "GET"): page({"agent"}, ["callcentre", "hq"]),
    ("billing:task-reassign", "GET"): page(MANAGEMENT, ["branch_b"]),
    ("billing:payment-new", "GET"): page(TAKES_PAYMENT | {"branch_b"}),
    ("billing:receipt", "GET"): page({"hq", "branch"}, ["counter", "branch_b"]),
    ("billing:refund-new", "GET"): page(MANAGEMENT, ["branch_b"]),
    ("billing:suspense", "GET"): page(MANAGEMENT | {"branch_b"}),
    ("billing:bank-file-not-collected", "POST"): page(HQ_ONLY),
    # the old addresses of the bank-file pages: a permanent redirect to banking's, for who may see them
    ("billing:bank-files-moved", "GET"): page(MANAGEMENT | {"branch_b"}),
    ("billing:bank-file-moved", "GET"): page(MANAGEMENT | {"branch_b"}),
    ("billing:persistency", "GET"): page(MANAGEMENT | {"branch_b"}),
    ("billing:persistency-export", "GET"): page(MANAGEMENT | {"branch_b"}),  # a download
    ("billing:policy", "GET"): page(STAFF - set(POLICY_HIDDEN), POLICY_HIDDEN),
    # banking: every app's bank files (management); importing a bank's result file: head office only
    ("banking:bank-files", "GET"): page(MANAGEMENT | {"branch_b"}),
    ("banking:bank-files", "POST"): page(HQ_ONLY),
    ("banking:bank-file", "GET"): page(MANAGEMENT | {"branch_b"}),
    # service desk
    ("service:interaction-new", "POST"): page(STAFF, ["branch_b"]),  # an empty form: 400 for who may log a call
    # service desk: cases (case_id: the agent's customer's case, in team A; attachment_id one of its files)
    ("service:cases", "GET"): page(STAFF | {"branch_b"}),
    ("service:case-categories", "GET"): page(STAFF | {"branch_b"}),
    ("service:case", "GET"): page(STAFF, ["branch_b"]),
    ("service:case-attachment", "GET"): page(STAFF, ["branch_b"]),  # a download, audited
    ("service:case-attachment-upload", "POST"): page(HANDLES_CASES, ["branch_b"]),  # no file: 400
    ("service:case-action", "POST"): page(HANDLES_CASES, ["branch_b"]),  # an empty note: 400
    ("service:case-new", "GET"): page(STAFF, ["branch_b"]),
    ("service:survey-report", "GET"): page(MANAGEMENT | {"branch_b"}),
    # a customer's survey link (no login): an unknown token gets the same 404 page, whoever asks
    ("survey", "GET"): Expect(everyone="404"),
    ("survey", "POST"): Expect(everyone="404"),

    # service desk: the emergency line (the call centre and head office; the case is the agent's customer's)
    ("service:emergency", "GET"): page({"hq", "callcentre"}),
    ("service:emergency", "POST"): page({"hq", "callcentre"}),  # no customer: 400 "find the customer first"
    ("service:emergency-case", "GET"): page({"hq", "callcentre"}),
    ("service:emergency-case", "POST"): page({"hq", "callcentre"}),  # no action: 400

    # service desk: complaints (complaint_id: the agent's customer's, in team A; the agent works no cases)
    ("service:complaints", "GET"): page(HANDLES_CASES | {"branch_b"}),
    ("service:complaints-export", "GET"): page(HANDLES_CASES | {"branch_b"}),  # a download
    ("service:complaint-statistics", "GET"): page(MANAGEMENT | {"branch_b"}),
    ("service:complaint", "GET"): page(HANDLES_CASES, ["branch_b"]),
    ("service:complaint-letter", "GET"): page(HANDLES_CASES, ["branch_b"]),  # the decision letter's PDF
    ("service:complaint-act", "POST"): page(HANDLES_CASES, ["branch_b"]),  # an empty form: 400 for who may act
    # API v1
    ("v1:api-root", "GET"): api(STAFF | {"branch_b"}),
    ("v1:me", "GET"): api(STAFF | {"branch_b"}),
    ("v1:customer-list", "GET"): api(STAFF | {"branch_b"}),
    ("v1:customer-detail", "GET"): api(STAFF, ["branch_b"]),
    ("v1:customer-value", "GET"): api({"hq", "branch", "agent"}, ["branch_b"]),
    ("v1:policy-list", "GET"): api(STAFF | {"branch_b"}),
    ("v1:policy-detail", "GET"): api(STAFF - set(POLICY_HIDDEN), POLICY_HIDDEN),
    ("v1:due-item-list", "GET"): api(STAFF | {"branch_b"}),
    ("v1:due-item-detail", "GET"): api(STAFF - set(POLICY_HIDDEN), POLICY_HIDDEN),
    ("v1:payment-list", "GET"): api(STAFF | {"branch_b"}),
    ("v1:payment-list", "POST"): api(TAKES_PAYMENT | {"branch_b"}),  # an empty body: 400 for who may book
    ("v1:payment-detail", "GET"): api(STAFF - set(POLICY_HIDDEN), POLICY_HIDDEN),
    ("v1:suspense-account-list", "GET"): api(MANAGEMENT | {"branch_b"}),
    ("v1:suspense-account-detail", "GET"): api(MANAGEMENT, ["branch_b"]),
    # the service desk's API: the book's case is the emergency case of the agent's customer (team A); sales agents
    # open cases and log interactions but do not work cases; branch B's manager does not see it
    ("v1:interaction-list", "GET"): api(STAFF | {"branch_b"}),
    ("v1:interaction-list", "POST"): api(STAFF | {"branch_b"}),  # an empty body: 400
    ("v1:interaction-detail", "GET"): api(STAFF, ["branch_b"]),
    ("v1:case-list", "GET"): api(STAFF | {"branch_b"}),
    ("v1:case-list", "POST"): api(STAFF | {"branch_b"}),  # an empty body: 400
    ("v1:case-detail", "GET"): api(STAFF, ["branch_b"]),
    **{(f"v1:case-{move}", "POST"): api(HANDLES_CASES, ["branch_b"])
       for move in ("assign", "respond", "note", "wait", "resume", "resolve", "close")},
    # the servicing API (the book's request: on the agent's policy in team A); claims handlers take none
    ("v1:servicing-request-list", "GET"): api((STAFF - {"claims"}) | {"branch_b"}),
    ("v1:servicing-request-list", "POST"): api((STAFF - {"claims"}) | {"branch_b"}),  # an empty body: 400
    ("v1:servicing-request-detail", "GET"): api(STAFF - {"claims"}, ["branch_b"]),
    # claims' API: the book's claim is the agent's customer's (team A); every service role reports and reads
    ("v1:claim-list", "GET"): api(STAFF | {"branch_b"}),
    ("v1:claim-list", "POST"): api(STAFF | {"branch_b"}),  # an empty body: 400
    ("v1:claim-detail", "GET"): api(STAFF, ["branch_b"]),
    ("v1:claim-facts", "POST"): api(HANDLES_CLAIMS, ["branch_b"]),  # an empty body: 400
    ("api-schema", "GET"): api(STAFF | {"branch_b"}),  # the schema needs a staff login (issue 14 §2)
    ("api/^[\\s\\S]*$", "GET"): Expect(everyone="404"),  # anything else under /api/: a JSON 404
    # claims (claim_id: a death claim of the agent's customer in team A, just reported; claim_step "assess",
    # refused with 400 while documents are missing): every service role reports and sees a claim of its scope, the
    # claims handlers and management work it
    ("claims:claims", "GET"): page(HANDLES_CLAIMS | {"branch_b"}),
    ("claims:attainment", "GET"): page(HANDLES_CLAIMS | {"branch_b"}),
    ("claims:claim", "GET"): page(STAFF, ["branch_b"]),
    ("claims:claim-action", "POST"): page(HANDLES_CLAIMS, ["branch_b"]),
    ("claims:claim-report", "GET"): page(STAFF, ["branch_b"]),
    # service desk: SLA
    ("service:sla-dashboard", "GET"): page(MANAGEMENT | {"branch_b"}),
    ("service:sla-report", "GET"): page(MANAGEMENT | {"branch_b"}),
    # servicing (request_id: a request on the agent's policy in team A; policy_id: branch A's policy without an
    # agent). Claims handlers take no servicing requests; checkers are management.
    ("servicing:queue", "GET"): page((STAFF - {"claims"}) | {"branch_b"}),
    ("servicing:approvals", "GET"): page(MANAGEMENT | {"branch_b"}),
    ("servicing:attainment", "GET"): page({"hq", "branch", "counter", "branch_b"}),  # who processes or approves
    ("servicing:new", "GET"): page({"hq", "branch", "callcentre"}, POLICY_HIDDEN),
    ("servicing:request", "GET"): page(STAFF - {"claims"}, ["branch_b"]),
    ("servicing:act", "POST"): page({"hq", "branch", "counter"}, ["branch_b"]),  # no action: 400
    # elsewhere
    ("set_language", "POST"): PUBLIC,
    ("admin:index", "GET"): Expect(),  # no staff role is a Django admin user: the admin's own login for all
    ("admin:login", "GET"): PUBLIC,
}
# The Django admin's own pages (one per model) answer to Django's is_staff, not to the roles: `admin:index` and
# `admin:login` above stand for them all.
ADMIN_NAMESPACE = "admin:"
# Methods a URL answers besides those in EXPECTED, not checked here (the form's GET, the payment form's POST…).
SCHEMA_METHODS = {"get", "post", "put", "patch", "delete"}


def _patterns(resolver: URLResolver, namespace: tuple[str, ...] = (), prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, namespace + ((entry.namespace,) if entry.namespace else ()),
                                 prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)  # an unnamed pattern is known by its route
            name = ":".join(namespace + (entry.name or route,))
            yield name, entry


def url_names() -> set[str]:
    return {name for name, _ in _patterns(get_resolver()) if not name.startswith(ADMIN_NAMESPACE)}


def test_every_url_has_an_expectation():
    listed = {name for name, _ in EXPECTED}
    unlisted = sorted(url_names() - listed)
    assert not unlisted, f"URLs without a row in the access matrix (lifecrm/workbench/tests/test_access_matrix.py " \
                         f"EXPECTED): {', '.join(unlisted)}"
    gone = sorted(n for n in listed - url_names() if not n.startswith(ADMIN_NAMESPACE))
    assert not gone, f"rows of the access matrix for URLs that no longer exist: {', '.join(gone)}"


def test_every_api_operation_has_an_expectation():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    missing = []
    for path, operations in schema["paths"].items():
        match = resolve(re.sub(r"\{\w+\}", "1", path))  # {id}, {customer_id}…: any object's id
        for method in operations:
            if method in SCHEMA_METHODS and (match.view_name, method.upper()) not in EXPECTED:
                missing.append(f"{method.upper()} {path} ({match.view_name})")
    assert not missing, f"API operations without a row in the access matrix: {', '.join(missing)}"


def test_every_role_is_in_the_matrix():
    assert set(Staff.Role.values) == set(STAFF_ROLES), (
        f"roles without a column in the access matrix: {sorted(set(Staff.Role.values) - set(STAFF_ROLES))}; add them to "
        f"STAFF_ROLES and to the rows of EXPECTED that grant them")


def _users(world) -> dict[str, object]:
    users = {role: world.staff[role].user for role in STAFF_ROLES if role != "admin"} | {
        "branch_b": world.staff["branch_b"].user, "anonymous": None}
    users["admin"] = make_staff("admin", world.org.hq).user
    users["no_staff"] = get_user_model().objects.create_user(username="no-staff", password="x-9-correct-horse")
    users["inactive_staff"] = make_staff("counter", world.org.team_a).user
    Staff.objects.filter(user=users["inactive_staff"]).update(is_active=False)
    return users


def _kwargs(name: str, pattern: URLPattern, book) -> dict:
    world = book.world
    api_objects = {
        "v1:customer-detail": book.objects["customer_id"][0],
        "v1:policy-detail": world.policy_q.pk,
        "v1:due-item-detail": DueItem.objects.filter(policy=world.policy_q).order_by("pk").first().pk,
        "v1:payment-detail": book.objects["payment_id"][0],
        "v1:suspense-account-detail": world.policy_q.pk,
        "v1:interaction-detail": Interaction.objects.get(case_id=book.objects["case_id"][0]).pk,
        "v1:servicing-request-detail": book.objects["request_id"][0],
        "v1:claim-detail": book.objects["claim_id"][0],
        "v1:claim-facts": book.objects["claim_id"][0],
    } | {name: book.objects["case_id"][0] for name in ("v1:case-detail", "v1:case-assign", "v1:case-respond",
                                                         "v1:case-note", "v1:case-wait", "v1:case-resume",
                                                         "v1:case-resolve", "v1:case-close")}
    kwargs = {}
    for argument in pattern.pattern.regex.groupindex:
        kwargs[argument] = api_objects[name] if name in api_objects else book.objects[argument][-1]
    return kwargs


def outcome(response) -> str:
    location = urlsplit(response.get("Location", "")).path  # the login page itself, not its second-factor steps
    if response.status_code in (301, 302) and location in (settings.LOGIN_URL, reverse("admin:login")):
        return "login"
    if response.status_code in (200, 201, 204, 301, 302, 400, 409):
        return "ok"
    return str(response.status_code)


def expected_outcome(expect: Expect, who: str) -> set[str]:
    if expect.everyone is not None:
        return {expect.everyone}
    if expect.public:
        return {"ok"}
    if who == "anonymous":
        return {"401", "403"} if expect.api else {"login"}
    if who in expect.ok:
        return {"ok"}
    if who in expect.hidden:
        return {"404"}
    return {"403"}


@pytest.mark.django_db
def test_each_user_reaches_exactly_the_urls_of_the_matrix(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    book = build_page_book()
    users = _users(book.world)
    patterns = dict(_patterns(get_resolver()))
    wrong = []
    for (name, method), expect in sorted(EXPECTED.items()):
        if name.startswith(ADMIN_NAMESPACE):
            path = reverse(name)
        elif name in patterns and patterns[name].name is None:
            path = "/api/no-such-thing/"
        else:
            path = reverse(name, kwargs=_kwargs(name, patterns[name], book))
        for who in STAFF_ROLES + OTHERS:
            client = Client()
            if users[who] is not None:
                client.force_login(users[who])
            response = getattr(client, method.lower())(path, **({"data": {}} if method == "POST" else {}))
            got, want = outcome(response), expected_outcome(expect, who)
            if name == "admin:index" and got == "login":
                got = "ok" if who in expect.ok else "403" if users[who] is not None else "login"
                want = {"403"} if users[who] is not None else {"login"}
            if got not in want:
                wrong.append(f"{method} {path} ({name}) as {who}: {response.status_code} "
                             f"({got}), expected {' or '.join(sorted(want))}")
    assert not wrong, "\n".join(["access matrix differs:"] + wrong)
