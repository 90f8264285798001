"""The project starts, migrates and loads its reference data."""
import pytest

from lifecrm.core.models import CalendarDay, JurisdictionRule


@pytest.mark.django_db
def test_reference_data_loaded_by_migrate():
    assert JurisdictionRule.objects.filter(jurisdiction="CN", key="grace_period").exists()
    assert CalendarDay.objects.filter(jurisdiction="CN").count() > 100


def test_healthz(client, db):
    assert client.get("/healthz").json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


def test_the_system_checks_pass(db):
    """Run here, and at deploy: batch commands such as run-daily skip them at each start."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("check", stdout=out)
    assert "no issues" in out.getvalue()
