"""The audited reveal of an ID number: allowed roles see it and leave an audit row; others get 403 and none."""
from __future__ import annotations

import pytest
from django.urls import reverse

from lifecrm.core.models import AuditEvent

pytestmark = pytest.mark.django_db
PURPOSE = "Identity check of a walk-in customer"


def _reveal(client, customer, purpose=PURPOSE, **headers):
    return client.post(reverse("workbench:reveal-id", args=[customer.pk]), {"purpose": purpose}, **headers)


@pytest.mark.parametrize("role", ["hq", "branch", "counter", "claims"])
def test_allowed_roles_see_the_number_and_leave_an_audit_row(login, world, role):
    staff = world.staff[role]
    customer = world.customer_a
    response = _reveal(login(staff), customer, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert customer.id_number in body
    assert "<html" not in body  # an htmx fragment, not a page
    audit = AuditEvent.objects.get(action="reveal")
    assert (audit.actor, audit.object_type, audit.object_id, audit.field, audit.purpose) == (
        staff.user, "parties.customer", str(customer.pk), "id_number", PURPOSE
    )


@pytest.mark.parametrize("role", ["hq", "branch", "counter", "claims"])
def test_the_reveal_button_is_shown_to_allowed_roles(login, world, role):
    body = login(world.staff[role]).get(reverse("workbench:customer", args=[world.customer_a.pk])).content.decode()
    assert reverse("workbench:reveal-id", args=[world.customer_a.pk]) in body


@pytest.mark.parametrize("role", ["callcentre", "agent"])
def test_refused_roles_see_no_button_and_get_403_without_audit(login, world, role):
    client = login(world.staff[role])
    page = client.get(reverse("workbench:customer", args=[world.customer_a.pk])).content.decode()
    assert reverse("workbench:reveal-id", args=[world.customer_a.pk]) not in page
    response = _reveal(client, world.customer_a, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    body = response.content.decode()
    assert "Your role may not see full ID numbers" in body
    assert world.customer_a.id_number not in body
    assert not AuditEvent.objects.filter(action="reveal").exists()


@pytest.mark.parametrize("purpose, message", [
    ("", "Say why you need the full ID number"),
    ("   ", "Say why you need the full ID number"),
    ("ab", "at least 4 characters"),
    ("x" * 201, "at most 200 characters"),
])
def test_a_reveal_needs_a_real_purpose(login, world, purpose, message):
    response = _reveal(login(world.staff["counter"]), world.customer_a, purpose, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert world.customer_a.id_number not in body
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_an_out_of_scope_customer_is_404_and_not_audited(login, world):
    response = _reveal(login(world.staff["counter"]), world.customer_b)
    assert response.status_code == 404
    assert world.customer_b.id_number not in response.content.decode()
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_get_is_not_allowed(login, world):
    response = login(world.staff["counter"]).get(reverse("workbench:reveal-id", args=[world.customer_a.pk]))
    assert response.status_code == 405


def test_without_javascript_the_reveal_renders_a_page(login, world):
    response = _reveal(login(world.staff["counter"]), world.customer_a)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body and world.customer_a.id_number in body


def test_the_reveal_needs_a_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.staff["counter"].user)
    response = _reveal(client, world.customer_a)
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="reveal").exists()
