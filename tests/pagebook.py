"""A small book in which every staff page has something real to show, and the list of those pages.

`build_page_book()` makes the collection world of the billing tests (two branches, one login per role,
policies in grace on 10 Oct 2026) plus what the other pages need: a direct debit sent to the bank and
rejected, a counter payment with its receipt, money left in suspense and an older cohort for persistency.
`staff_pages(book)` enumerates the GET pages of the workbench and billing URLconfs with the book's objects,
and fails on a page whose URL arguments it cannot fill, so that a new page cannot be forgotten.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from lifecrm.billing.models import Collection, Payment, Reminder
from lifecrm.billing.tests.test_views_world import World, build_world, run_daily
from lifecrm.core.actors import SYSTEM
from lifecrm.policies.models import Policy
from tests.factories import make_customer, make_mandate, make_policy

AS_OF = date(2026, 10, 10)
NAMESPACES = ("workbench", "billing", "banking", "service", "value", "servicing", "claims")
# Not pages: actions that only answer a POST, a file download.
NOT_PAGES = {
    "workbench:logout", "workbench:reveal-id", "workbench:policy-delivery",
    "workbench:otp-verify",  # redirects to the enrolment without an enrolled device (test_logins covers it)
    "workbench:personal-data-export",  # a POST answered with a zip download
    "billing:bank-file-not-collected", "billing:persistency-export",
    "billing:bank-files-moved", "billing:bank-file-moved",  # permanent redirects to banking's bank-file pages
    # forms posted from other pages, htmx fragments and downloads
    "service:interaction-new", "service:case-categories", "service:case-attachment-upload", "service:case-attachment",
    "service:case-action", "service:complaints-export", "service:complaint-letter", "service:complaint-act",
    "value:dashboard-export", "claims:claim-action",
    "servicing:act",
}
# Pages visited with a query string as well, to show their results.
QUERIES = {
    "workbench:search": "?q=%E7%8E%8B",  # 王: two customers
}
# Who opens each page (HQ unless named here); the login page is opened logged out.
LOGINS = {"billing:task-outcome": "agent", "billing:worklist": "agent"}
ANONYMOUS = {"workbench:login"}


@dataclass
class PageBook:
    world: World
    objects: dict[str, tuple[int, ...]] = field(default_factory=dict)  # URL argument name → the book's object ids


def _persistency_cohort(world: World) -> None:
    """Older policies for the persistency pages: issued March 2025 (13th month) and March 2024 (25th month)."""
    for issued, paying, lapsed in ((date(2025, 3, 31), 3, 1), (date(2024, 3, 31), 2, 1)):
        for n in range(paying + lapsed):
            owner = make_customer(branch=world.org.team_a, agent=world.staff["agent"])
            policy = make_policy(owner=owner, agent=world.staff["agent"], branch=world.org.team_a, issue_date=issued,
                                 as_of=issued)
            if n < paying:
                Policy.objects.filter(pk=policy.pk).update(paid_instalments=30)


def build_page_book() -> PageBook:
    from lifecrm.billing.debits.imports import bank_file_import
    from lifecrm.billing.services import payment_record
    from lifecrm.service.services import case_attachment_add

    world = build_world(as_of=date(2026, 9, 1))  # the policies, before any batch
    make_mandate(world.policy_a, debtor_name=world.policy_a.owner.name)
    run_daily(AS_OF)
    world.refresh()
    collection = Collection.objects.order_by("pk").first()
    assert collection is not None, "the batch sent no direct debit"
    result = (f"end_to_end_id,status,amount,currency,value_date,reason_code\n"
              f"{collection.end_to_end_id},rejected,{collection.amount},CNY,{AS_OF},AM04\n")
    bank_file_import(content=result.encode(), filename="results-demo.csv", as_of=AS_OF, actor=SYSTEM)
    collection.refresh_from_db()
    # paid at branch A's counter (its manager: the policy is outside the team-A clerk's scope), more than owed: a
    # receipt, and money waiting in suspense
    payment = payment_record(actor=world.staff["branch"].user, policy_id=world.policy_q.pk, amount=Decimal("500.00"),
                             method=Payment.Method.CASH, received_on=AS_OF, natural_key="page-book-1", as_of=AS_OF)
    _persistency_cohort(world)
    world.refresh()
    complaint = _complaint(world)
    task = Reminder.objects.filter(due_item__policy=world.policy_a, channel="agent", status="task_open").first()
    assert task is not None, "the agent has no phone task"
    case = _emergency_case(world)  # the case pages' and the emergency pages' case
    attachment = case_attachment_add(actor=SYSTEM, case=case, filename="letter.pdf", content=b"%PDF-1.4 page book",
                                     at=datetime(2026, 10, 9, 14, 10, tzinfo=UTC))
    servicing_request = _servicing_request(world)
    claim = _claim(world)
    return PageBook(world, {
        "claim_id": (claim.pk,),  # a death claim of the agent's customer (team A), just reported
        "claim_step": ("assess",),  # refused (400) while its documents are missing
        "customer_id": (world.policy_a.owner_id,),
        "policy_id": (world.policy_q.pk,),
        "payment_id": (payment.pk,),
        "bank_file_id": (collection.export_file_id, collection.result_file_id),  # ours, and the bank's answer
        "reminder_id": (task.pk,),
        "case_id": (case.pk,),
        "attachment_id": (attachment.pk,),
        "action": ("note",),
        "token": ("no-such-survey-link",),  # a survey link that does not exist (the page is the same for all)
        "complaint_id": (complaint.pk,),  # the agent's customer's, decided (its letter)
        "letter_kind": ("first",),
        "complaint_action": ("decide",),
        "request_id": (servicing_request.pk,),  # a servicing request on the agent's policy (team A)
    })


def _servicing_request(world: World):
    """A contact change of the agent's customer (policy_a, team A), received at the counter on the book's day."""
    from lifecrm.servicing.services import request_create

    return request_create(actor=SYSTEM, policy=world.policy_a, request_type="contact_change", channel="counter",
                          received_on=AS_OF, as_of=AS_OF, payload={"address": "北京市朝阳区建国路1号"})


def _claim(world: World):
    """A death claim of the insured of policy_a (the agent's customer, team A), reported on the book's day."""
    from lifecrm.claims.services import claim_report

    return claim_report(actor=SYSTEM, insured=world.policy_a.insured, claim_type="death", cause="illness",
                        event_date=AS_OF, channel="phone", reported_at=datetime(2026, 10, 9, 1, 30, tzinfo=UTC),
                        as_of=AS_OF, claimant_name="李娜", claimant_phone="13900001111")


def _complaint(world: World):
    """A complaint of the agent's customer in team A, decided on the book's day (its letter exists)."""
    from lifecrm.service.complaints import complaint_decide
    from lifecrm.service.services import case_open

    case = case_open(actor=SYSTEM, customer=world.policy_a.owner, case_type="complaint", category="complaint_service",
                     subject="Waited too long at the counter", channel="counter",
                     opened_at=datetime(2026, 10, 1, 2, tzinfo=UTC))
    complaint_decide(actor=world.staff["callcentre"].user, complaint=case.complaint, facts="The queue was long.",
                     decision="An apology; a second counter opens at peak hours.", basis="Service standards.",
                     at=datetime(2026, 10, 9, 2, tzinfo=UTC))
    return case.complaint


def _emergency_case(world: World):
    """An emergency case of the agent's customer (team A) with an ambulance sent for and a follow-up."""
    from datetime import UTC, datetime, timedelta

    from lifecrm.service.services import dispatch_request, emergency_open

    at = datetime(2026, 10, 9, 14, 5, tzinfo=UTC)
    case = emergency_open(actor=SYSTEM, customer=world.policy_a.owner, location="朝阳公园北门",
                          situation="Fell while jogging, cannot stand up", callback_phone="13800138000", at=at,
                          category="ambulance")
    dispatch_request(actor=SYSTEM, case=case, partner_kind="ambulance", partner_name="北京120急救中心",
                     requested_at=at + timedelta(minutes=2), at=at + timedelta(minutes=2), reference="BJ120-7781")
    return case


def _patterns(resolver: URLResolver, namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and namespace in NAMESPACES and entry.name:
            yield f"{namespace}:{entry.name}", entry


@dataclass(frozen=True)
class StaffPage:
    name: str  # the URL name, "billing:persistency"
    path: str
    login: str | None  # the book's staff member (World.staff key) who opens it; None: logged out


def staff_pages(book: PageBook) -> list[StaffPage]:
    """Every staff page of the URLconf, filled with the book's objects (the search with a query too)."""
    pages, missing = [], []
    for name, pattern in _patterns(get_resolver()):
        if name in NOT_PAGES:
            continue
        arguments = list(pattern.pattern.regex.groupindex)
        unknown = [a for a in arguments if a not in book.objects]
        if unknown:
            missing.append(f"{name} ({', '.join(unknown)})")
            continue
        login = None if name in ANONYMOUS else LOGINS.get(name, "hq")
        for values in itertools.product(*(book.objects[a] for a in arguments)):
            path = reverse(name, kwargs=dict(zip(arguments, values, strict=True)))
            pages.append(StaffPage(name, path, login))
            if name in QUERIES:
                pages.append(StaffPage(name, path + QUERIES[name], login))
    assert not missing, f"tests/pagebook.py has no object for these pages' arguments: {missing}"
    return pages

