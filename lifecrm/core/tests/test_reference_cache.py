"""Rules and calendars edited in the admin or loaded by `lifecrm load-calendar` reach every process: each process's
cache compares its version with the ReferenceDataVersion row at most every LIFECRM_REFERENCE_RECHECK_SECONDS."""
from __future__ import annotations

import multiprocessing
from datetime import date

import pytest
from django.db import connection, connections
from django.db.models import F

from lifecrm.core.jobs import forget_inherited_connections
from lifecrm.core.models import CalendarDay, JurisdictionRule, ReferenceDataVersion
from lifecrm.core.selectors import jurisdiction_rule, working_calendar


def grace_days(code: str = "CN") -> int:
    return int(jurisdiction_rule(code, "grace_period").quantity)


def admin_post_rule(client, code: str, key: str, quantity: str):
    rule = JurisdictionRule.objects.get(jurisdiction=code, key=key)
    response = client.post(f"/admin/core/jurisdictionrule/{rule.pk}/change/", {
        "jurisdiction": code, "key": key, "quantity": quantity, "unit": rule.unit,
        "customer_deadline": "on" if rule.customer_deadline else "", "trigger": rule.trigger, "source": rule.source,
    })
    assert response.status_code == 302, response.content[:500]


@pytest.mark.django_db
class TestInOneDatabase:
    def test_a_change_committed_elsewhere_is_seen_at_the_next_check(self, settings, django_assert_num_queries):
        """Another process's change: the rows and the version move, and nothing clears this process's cache."""
        settings.LIFECRM_REFERENCE_RECHECK_SECONDS = 3600
        assert grace_days() == 60 and working_calendar("CN").is_working_day(date(2026, 7, 20))
        JurisdictionRule.objects.filter(jurisdiction="CN", key="grace_period").update(quantity=61)
        CalendarDay.objects.create(jurisdiction_id="CN", day=date(2026, 7, 20), is_working_day=False, name="typhoon")
        ReferenceDataVersion.objects.update_or_create(pk=1, defaults={"value": F("value") + 1})
        with django_assert_num_queries(0):  # within the interval: the cached copy, no query
            assert grace_days() == 60
        settings.LIFECRM_REFERENCE_RECHECK_SECONDS = 0
        with django_assert_num_queries(2):  # the version, then the rules again
            assert grace_days() == 61
        assert not working_calendar("CN").is_working_day(date(2026, 7, 20))

    def test_an_unchanged_version_costs_one_small_query_per_check(self, settings, django_assert_num_queries):
        settings.LIFECRM_REFERENCE_RECHECK_SECONDS = 0  # a check at every read
        grace_days(), working_calendar("HK")
        with django_assert_num_queries(1) as queries:
            assert grace_days() == 60
        assert "core_referencedataversion" in queries.captured_queries[0]["sql"]
        with django_assert_num_queries(1):
            assert working_calendar("HK").jurisdiction == "HK"
        settings.LIFECRM_REFERENCE_RECHECK_SECONDS = 3600  # checked a moment ago: not again within the hour
        with django_assert_num_queries(0):
            assert grace_days() == 60 and working_calendar("HK").jurisdiction == "HK"

    def test_an_admin_edit_raises_the_version_and_this_process_reads_it(self, admin_client):
        before = ReferenceDataVersion.objects.get(pk=1).value
        assert grace_days("HK") == 31
        admin_post_rule(admin_client, "HK", "grace_period", "32")
        assert ReferenceDataVersion.objects.get(pk=1).value == before + 1
        assert grace_days("HK") == 32

    def test_an_admin_edit_of_a_calendar_day_and_its_deletion(self, admin_client):
        before = ReferenceDataVersion.objects.get(pk=1).value
        assert working_calendar("HK").is_working_day(date(2026, 7, 20))
        response = admin_client.post("/admin/core/calendarday/add/", {
            "jurisdiction": "HK", "day": "2026-07-20", "is_working_day": "", "name": "typhoon signal 8",
            "is_override": "on"})
        assert response.status_code == 302
        assert not working_calendar("HK").is_working_day(date(2026, 7, 20))
        day = CalendarDay.objects.get(jurisdiction="HK", day=date(2026, 7, 20))
        assert admin_client.post(f"/admin/core/calendarday/{day.pk}/delete/", {"post": "yes"}).status_code == 302
        assert working_calendar("HK").is_working_day(date(2026, 7, 20))
        assert ReferenceDataVersion.objects.get(pk=1).value == before + 2


def _child(commands, answers) -> None:
    """A second process: it answers the CN grace period its own cache gives, each time it is asked."""
    forget_inherited_connections()
    try:
        while commands.recv() == "read":
            answers.send(grace_days())
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_an_admin_edit_reaches_a_running_second_process(settings, admin_client):
    if connection.vendor != "postgresql":
        pytest.skip("a second process shares the test database on PostgreSQL only (SQLite's is in this one's memory)")
    settings.LIFECRM_REFERENCE_RECHECK_SECONDS = 0  # the child inherits it: it checks at every read
    admin_client.get("/admin/")  # log in before the fork (the admin user is committed)
    connections.close_all()  # the child opens its own connection
    context = multiprocessing.get_context("fork")
    to_child, child_commands = context.Pipe()
    child_answers, from_child = context.Pipe()
    child = context.Process(target=_child, args=(child_commands, child_answers))
    child.start()
    child_commands.close(), child_answers.close()  # the child's ends: a child that dies is an EOF here, not a hang

    def ask() -> int:
        to_child.send("read")
        assert from_child.poll(60), "the second process did not answer within a minute"
        return from_child.recv()

    try:
        assert ask() == 60  # cached there now
        JurisdictionRule.objects.filter(jurisdiction="CN", key="grace_period").update(quantity=59)
        assert ask() == 60  # a write that bypasses the version is not seen: the cache is real
        admin_post_rule(admin_client, "CN", "grace_period", "62")
        assert ask() == 62
        to_child.send("stop")
        child.join(timeout=30)
        assert child.exitcode == 0
    finally:
        if child.is_alive():
            child.kill()
        JurisdictionRule.objects.filter(jurisdiction="CN", key="grace_period").update(quantity=60)
