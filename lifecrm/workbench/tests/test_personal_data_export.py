"""The customer 360's PIPL data export: a button and a download for head office only, audited."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from lifecrm.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_head_office_sees_the_button_and_downloads_the_file(login, world):
    client, customer = login(world.staff["hq"]), world.customer_a
    url = reverse("workbench:personal-data-export", args=[customer.pk])
    assert url in client.get(reverse("workbench:customer", args=[customer.pk])).content.decode()
    response = client.post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert customer.number in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        data = json.loads(archive.read(f"customer-{customer.number}.json"))
    assert data["customer"][0]["number"] == customer.number
    audit = AuditEvent.objects.get(field="personal_data_export")
    assert (audit.actor, audit.object_id) == (world.staff["hq"].user, str(customer.pk))


@pytest.mark.parametrize("role", ["branch", "counter", "callcentre", "claims", "agent"])
def test_other_roles_get_neither_button_nor_file(login, world, role):
    client, customer = login(world.staff[role]), world.customer_a
    url = reverse("workbench:personal-data-export", args=[customer.pk])
    page = client.get(reverse("workbench:customer", args=[customer.pk]))
    assert url not in page.content.decode()
    assert client.post(url).status_code == 403
    assert not AuditEvent.objects.filter(field="personal_data_export").exists()


def test_a_get_is_refused(login, world):
    url = reverse("workbench:personal-data-export", args=[world.customer_a.pk])
    assert login(world.staff["hq"]).get(url).status_code == 405
