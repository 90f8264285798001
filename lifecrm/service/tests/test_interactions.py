"""Logging a contact: who may, what is refused (with a translated reason in the form), and the 360's panel."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from lifecrm.core.models import AuditEvent
from lifecrm.org.access import NotInScope
from lifecrm.service import services
from lifecrm.service.models import Interaction
from tests.factories import make_customer, make_policy

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_hashing_and_english_pages(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"


def _log(actor, customer, **changes):
    values = dict(channel="call", direction="in", subject="Premium payment", outcome="answered", occurred_at=AT)
    return services.interaction_log(actor=actor.user, customer=customer, **(values | changes))


# --- the service ----------------------------------------------------------------------------------------------

def test_the_call_centre_and_the_customers_agent_log_contacts(service_world):
    w = service_world
    call = _log(w.staff["callcentre"], w.customer_a)
    visit = _log(w.staff["agent"], w.customer_a, channel="agent_visit", direction="out", outcome="follow_up")
    assert (call.staff, visit.staff) == (w.staff["callcentre"], w.staff["agent"])
    assert {call.branch_path, visit.branch_path} == {w.customer_a.branch_path}
    assert visit.agent == w.staff["agent"]  # booked on the customer's agent: the agent's own book sees it
    assert AuditEvent.objects.filter(action="create", object_type="service.interaction").count() == 2


def test_another_branchs_manager_and_another_agent_are_refused(service_world):
    w = service_world
    with pytest.raises(NotInScope):
        _log(w.staff["branch_b"], w.customer_a)
    with pytest.raises(NotInScope):
        _log(w.staff["agent"], w.customer_b)
    assert not Interaction.objects.exists()


def test_a_policy_of_another_customer_is_refused(service_world):
    w = service_world
    theirs = make_policy(owner=w.customer_b, agent=None, branch=w.org.branch_b)
    with pytest.raises(services.ServiceRefused) as refused:
        _log(w.staff["hq"], w.customer_a, policy_id=theirs.pk)
    assert refused.value.field == "policy"
    assert not Interaction.objects.exists()


@pytest.mark.parametrize(("changes", "field"), [
    ({"subject": "   "}, "subject"),
    ({"occurred_at": timedelta(days=1)}, "occurred_at"),  # a day from the test's now (not the collection's)
])
def test_a_refusal_names_its_field_in_the_staff_members_language(service_world, changes, field):
    w = service_world
    if "occurred_at" in changes:
        changes = {"occurred_at": datetime.now(UTC) + changes["occurred_at"]}
    with translation.override("zh-hant"), pytest.raises(services.ServiceRefused) as refused:
        _log(w.staff["callcentre"], w.customer_a, **changes)
    assert refused.value.field == field
    assert not str(refused.value).isascii()  # translated


# --- the panel ------------------------------------------------------------------------------------------------

def _url(customer):
    return reverse("service:interaction-new", args=[customer.pk])


def _form(**changes):
    now = timezone.localtime(timezone.now() - timedelta(minutes=1))
    return {"channel": "call", "direction": "in", "subject": "Premium payment", "outcome": "answered",
            "occurred_at": now.strftime("%Y-%m-%dT%H:%M"), "policy": "", "note": ""} | changes


def test_the_360_shows_the_panel_ready_to_type(client, service_world):
    w = service_world
    client.force_login(w.staff["callcentre"].user)
    body = client.get(reverse("workbench:customer", args=[w.customer_a.pk])).content.decode()
    assert 'data-testid="interaction-panel"' in body and 'id="interaction-subject"' in body
    assert "autofocus" in body and 'value="call" selected' in body
    assert 'id="interaction-direction-in" value="in" autocomplete="off" checked' in body
    assert 'id="interaction-outcome-answered" value="answered" autocomplete="off" checked' in body
    assert 'data-subject="Claim status"' in body


def test_a_call_logged_through_htmx_refreshes_the_panel_and_the_timeline(client, service_world):
    w = service_world
    policy = make_policy(owner=w.customer_a, agent=w.staff["agent"], branch=w.org.team_a)
    client.force_login(w.staff["callcentre"].user)
    response = client.post(_url(w.customer_a), _form(policy=str(policy.pk), note="Explained the grace period"),
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Trigger"] == "interactionLogged"
    body = response.content.decode()
    assert 'data-testid="interaction-logged"' in body and "<html" not in body
    assert re.search(r'name="subject"[^>]*value=""', body)  # a fresh form for the next call
    logged = Interaction.objects.get()
    assert (logged.policy, logged.note, logged.staff) == (policy, "Explained the grace period", w.staff["callcentre"])
    timeline = client.get(reverse("workbench:customer-timeline", args=[w.customer_a.pk]), HTTP_HX_REQUEST="true")
    assert "phone call (inbound): Premium payment" in timeline.content.decode()


def test_without_javascript_a_logged_call_goes_back_to_the_360(client, service_world):
    w = service_world
    client.force_login(w.staff["agent"].user)
    response = client.post(_url(w.customer_a), _form())
    assert response.status_code == 302 and response["Location"] == reverse("workbench:customer",
                                                                            args=[w.customer_a.pk])
    assert Interaction.objects.count() == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"subject": ""}, "Say what the contact was about."),
    ({"subject": "   "}, "Say what the contact was about."),
    ({"occurred_at": "2999-01-01T09:00"}, "The time of the contact is in the future."),
    ({"occurred_at": "yesterday"}, "Give the date and time of the contact"),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(client, service_world, changes, message):
    w = service_world
    client.force_login(w.staff["callcentre"].user)
    response = client.post(_url(w.customer_a), _form(**changes), HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and message in response.content.decode()
    assert "interactionLogged" not in response.headers.get("HX-Trigger", "")
    assert not Interaction.objects.exists()


def test_a_policy_of_another_customer_is_not_offered_nor_taken(client, service_world):
    w = service_world
    other = make_customer(branch=w.org.team_a, agent=w.staff["agent"], name="王二")
    theirs = make_policy(owner=other, agent=w.staff["agent"], branch=w.org.team_a)
    client.force_login(w.staff["callcentre"].user)
    page = client.get(reverse("workbench:customer", args=[w.customer_a.pk])).content.decode()
    assert theirs.number not in page
    response = client.post(_url(w.customer_a), _form(policy=str(theirs.pk)), HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "This policy is not one of the customer&#x27;s." in response.content.decode()
    assert not Interaction.objects.exists()


def test_the_refusal_is_in_the_pages_language(client, service_world, settings):
    settings.LANGUAGE_CODE = "zh-hant"
    w = service_world
    client.force_login(w.staff["callcentre"].user)
    response = client.post(_url(w.customer_a), _form(occurred_at="2999-01-01T09:00"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 400 and "The time of the contact is in the future." not in body
    assert "記錄通話" in body  # the panel's title, translated


def test_another_branchs_manager_gets_no_panel_and_cannot_post(client, service_world):
    w = service_world
    client.force_login(w.staff["branch_b"].user)
    assert client.post(_url(w.customer_a), _form(), HTTP_HX_REQUEST="true").status_code == 404
    assert not Interaction.objects.exists()
