"""Head office's tier thresholds page: what is in force, a preview of who would move, then a new audited version;
bad amounts refused with their reason and nothing written; only head office may open it."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from lifecrm.core.models import AuditEvent
from lifecrm.value.models import TierThresholds
from lifecrm.value.tests.test_customer_values import _run, book  # noqa: F401  (book is a fixture)
from tests.factories import make_staff

pytestmark = pytest.mark.django_db
URL = reverse("value:thresholds")


@pytest.fixture
def hq(book, client):  # noqa: F811
    _run()  # totals: A 2,675, B 2,804, C 5,000 (silver at v1), D, E, F 0
    staff = make_staff("hq", book["org"].hq)
    client.force_login(staff.user)
    return staff


def _post(client, button="preview", **values):
    data = {"jurisdiction": "CN", "diamond": "5000", "gold": "2800", "silver": "2000", "note": "campaign 2027",
            button: "", **values}
    with translation.override("en"):
        return client.post(URL, data, HTTP_ACCEPT_LANGUAGE="en")


def test_the_page_shows_the_thresholds_in_force_and_prefills_them(hq, client):
    page = client.get(URL).content.decode()
    assert "等級門檻" in page and "5,000.00" in page
    assert 'name="diamond" value="100000.00"' in page  # CN version 1, ready to change


def test_a_preview_says_who_would_move_and_writes_nothing(hq, client):
    response = _post(client)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Of 6 customers valued on 2026-11-29, 3 would change tier." in body
    assert 'data-testid="thresholds-apply"' in body
    assert TierThresholds.objects.filter(jurisdiction="CN").count() == 1


def test_apply_keeps_a_new_audited_version(hq, client):
    response = _post(client, button="apply")
    assert response.status_code == 302
    row = TierThresholds.objects.filter(jurisdiction="CN").order_by("-version").first()
    assert (row.version, row.diamond, row.gold, row.silver, row.note) == (
        2, Decimal("5000"), Decimal("2800"), Decimal("2000"), "campaign 2027")
    assert AuditEvent.objects.filter(object_type="value.tier_thresholds", object_id=str(row.pk)).exists()
    with translation.override("en"):
        page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Version 2 of the CN tier thresholds is in force: 3 customer(s) change tier at the next valuation." in page


@pytest.mark.parametrize(("values", "message"), [
    ({"gold": "1e5"}, "The tier thresholds must be amounts above zero, such as 50000 or 50000.00."),
    ({"silver": "-10"}, "The tier thresholds must be amounts above zero, such as 50000 or 50000.00."),
    ({"diamond": "5000.001"}, "The tier thresholds are amounts to the cent."),
    ({"gold": "6000"}, "The tier thresholds must descend from diamond to gold to silver"),
    ({"jurisdiction": "XX"}, "Select a valid choice."),
])
def test_bad_thresholds_are_refused_with_their_reason_and_nothing_is_written(hq, client, values, message):
    response = _post(client, button="apply", **values)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert TierThresholds.objects.filter(jurisdiction="CN").count() == 1
    assert not AuditEvent.objects.filter(object_type="value.tier_thresholds").exists()


@pytest.mark.parametrize("role", ["branch", "agent", "counter"])
def test_only_head_office_opens_the_page(book, client, role):  # noqa: F811
    unit = book["org"].team_a if role == "agent" else book["org"].branch_a
    client.force_login(make_staff(role, unit).user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"jurisdiction": "CN", "diamond": "5", "gold": "3", "silver": "1", "apply": ""}
                       ).status_code == 403
    assert TierThresholds.objects.filter(jurisdiction="CN").count() == 1
