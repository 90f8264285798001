"""Servicing pages: recording a request from the policy page, the queue with its clocks, the request page's
documents and actions (the maker is never offered the approval), the approvals inbox; in zh-Hant and English."""
from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from lifecrm.servicing.models import ServiceRequest
from lifecrm.servicing.tests.conftest import AS_OF


@pytest.fixture
def pinned(monkeypatch):
    """The pages' business date: AS_OF."""
    monkeypatch.setattr("lifecrm.servicing.views._as_of", lambda: AS_OF)


def client_for(staff, language="zh-hant") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(staff.user)
    return client


def test_the_counter_records_a_beneficiary_change_and_a_checker_approves_it(world, pinned):
    counter, manager = client_for(world.staff["counter"]), client_for(world.staff["branch"])
    policy_page = counter.get(reverse("workbench:policy", args=[world.policy.pk]))
    assert reverse("servicing:new", args=[world.policy.pk]) in policy_page.content.decode()
    new = reverse("servicing:new", args=[world.policy.pk])
    assert "受益人變更" in counter.get(new).content.decode()
    form = counter.get(new + "?type=beneficiary_change")
    assert form.status_code == 200 and "id_beneficiaries" in form.content.decode()
    bad = counter.post(new, {"type": "beneficiary_change", "channel": "counter", "received_on": "2025-09-26",
                             "beneficiaries": "张一, 子女, 50\n张二, 子女, 40"})
    assert bad.status_code == 400 and "100 %" in bad.content.decode()
    response = counter.post(new, {"type": "beneficiary_change", "channel": "counter", "received_on": "2025-09-26",
                                  "beneficiaries": "张一, 子女, 1/3\n张二, 子女, 1/3\n张三，子女，1/3"})
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    page = reverse("servicing:request", args=[request.pk])
    assert response["Location"] == page
    act = reverse("servicing:act", args=[request.pk])
    assert counter.post(act, {"action": "accept", "on": "2025-09-26"}).status_code == 302
    for code in ("application", "owner_id", "beneficiary_id"):
        assert counter.post(act, {"action": "document", "document": code, "on": "2025-09-26"}).status_code == 302
    request.refresh_from_db()
    assert request.status == "pending_approval"
    # The queue shows it with its deadline; the maker's page offers no approval, the checker's inbox holds it.
    queue = counter.get(reverse("servicing:queue")).content.decode()
    assert request.number in queue and "2025-10-10" in queue
    assert 'data-testid="request-action-approve"' not in counter.get(page).content.decode()
    assert counter.post(act, {"action": "approve", "on": "2025-09-26"}).status_code == 403
    assert request.number in manager.get(reverse("servicing:approvals")).content.decode()
    body = manager.get(page).content.decode()
    assert 'data-testid="request-action-approve"' in body and "1/3" in body
    assert manager.post(act, {"action": "approve", "on": "2025-09-26"}).status_code == 302
    assert counter.post(act, {"action": "execute"}).status_code == 302
    request.refresh_from_db()
    assert request.status == "executed" and request.checker == world.staff["branch"]
    english = client_for(world.staff["counter"], "en").get(page).content.decode()
    assert "Beneficiary change" in english and "executed" in english


def test_refusals_are_shown_on_the_page(world, pinned):
    counter = client_for(world.staff["counter"])
    new = reverse("servicing:new", args=[world.policy.pk])
    response = counter.post(new, {"type": "sum_assured_decrease", "channel": "counter", "received_on": "2025-09-26",
                                  "sum_assured": "900000"})
    assert response.status_code == 400 and "500000" in response.content.decode().replace(",", "")
    response = counter.post(new, {"type": "contact_change", "channel": "counter", "received_on": "2025-09-27",
                                  "address": "x"})
    assert response.status_code == 400 and not ServiceRequest.objects.exists()


def test_the_queue_in_scope_only(world, pinned):
    from lifecrm.servicing.services import request_create

    request = request_create(actor=world.staff["counter"], policy=world.policy, request_type="contact_change",
                             channel="counter", received_on=date(2025, 9, 22), as_of=AS_OF,
                             payload={"address": "上海"})
    assert request.number in client_for(world.staff["hq"]).get(reverse("servicing:queue")).content.decode()
    other = client_for(world.staff["branch_b"])
    assert request.number not in other.get(reverse("servicing:queue")).content.decode()
    assert other.get(reverse("servicing:request", args=[request.pk])).status_code == 404
    overdue = client_for(world.staff["counter"]).get(reverse("servicing:queue") + "?overdue=on").content.decode()
    assert request.number in overdue  # accept by 24 Sep, today 26 Sep


def test_the_request_page_shows_the_change_in_words_and_money(world, pinned):
    """A coded payload (payment method, premium mode) in the page's language, an amount as money: never
    `auto_debit` or `300000.00`."""
    from lifecrm.servicing.services import request_create

    def change(request_type, payload, on):
        request = request_create(actor=world.staff["counter"], policy=world.policy, request_type=request_type,
                                 channel="counter", received_on=on, as_of=AS_OF, payload=payload)
        return reverse("servicing:request", args=[request.pk])

    method = change("payment_method_change", {"payment_method": "auto_debit", "bank_account": "6222020200106111"},
                    date(2025, 9, 22))
    cut = change("sum_assured_decrease", {"sum_assured": "300000"}, date(2025, 9, 23))
    english, chinese = client_for(world.staff["counter"], "en"), client_for(world.staff["counter"], "zh-hant")
    page = english.get(method).content.decode()
    assert "auto_debit" not in page and "bank auto-debit" in page
    page = chinese.get(method).content.decode()
    assert "auto_debit" not in page and "銀行自動轉帳" in page
    page = english.get(cut).content.decode()
    assert "CNY 300,000.00" in page and "300000" not in page


def test_the_history_names_a_program_in_words(world, pinned):
    """A request recorded by a program (the daily batch) says so in words, not `run-daily`."""
    from lifecrm.core.actors import RUN_DAILY
    from lifecrm.servicing.services import request_create

    request = request_create(actor=RUN_DAILY, policy=world.policy, request_type="contact_change", channel="counter",
                             received_on=date(2025, 9, 22), as_of=AS_OF, payload={"address": "上海"})
    page = reverse("servicing:request", args=[request.pk])
    for language, words in (("en", "the daily batch"), ("zh-hant", "每日批次")):
        body = client_for(world.staff["counter"], language).get(page).content.decode()
        assert words in body and "run-daily" not in body, language
