"""The work-source registry: each app's open work merged by deadline then priority, overdue marked, counted."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lifecrm.core import registries
from lifecrm.core.registries import WorkItem, is_overdue, work_counts, work_page, work_sort_key, work_sources

AS_OF = date(2026, 12, 7)
AT = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai


def source(*items: WorkItem, calls: list | None = None):
    def func(*, scope, staff, as_of, at, limit, overdue=False):
        if calls is not None:
            calls.append(("list", limit, overdue))
        chosen = [i for i in items if not overdue or is_overdue(i.deadline, as_of=as_of, at=at)]
        return sorted(chosen, key=work_sort_key)[:limit]

    return func


def count(n: int, calls: list):
    def func(*, scope, staff, as_of, at, overdue=False):
        calls.append(("count", overdue))
        return n

    return func


def page(sources, counts=None, *, limit=10, overdue=False):
    return work_page(sources, counts or {}, scope=None, staff=None, as_of=AS_OF, at=AT, limit=limit, overdue=overdue)


def test_work_is_merged_by_deadline_then_priority_with_no_deadline_last():
    calls = WorkItem("renewal_call", "call", deadline=date(2026, 12, 8), priority=3)
    urgent = WorkItem("case", "urgent case", deadline=datetime(2026, 12, 8, 1, 0, tzinfo=UTC), priority=1)
    high = WorkItem("grace", "in grace", deadline=date(2026, 12, 8), priority=2)
    early = WorkItem("case", "early", deadline=date(2026, 12, 1), priority=4)
    none = WorkItem("at_risk", "no deadline", priority=1)
    result = page({"a": source(calls, none), "b": source(urgent, high, early)})
    # A date sorts at the start of its day: before any time of that day; on one day, the more urgent first.
    assert [i.title for i in result.items] == ["early", "in grace", "call", "urgent case", "no deadline"]
    assert result.total == 5 and not result.cut


def test_overdue_is_a_date_before_the_business_date_or_a_datetime_before_now():
    assert is_overdue(date(2026, 12, 6), as_of=AS_OF, at=AT)
    assert not is_overdue(date(2026, 12, 7), as_of=AS_OF, at=AT)  # due today: not yet overdue
    assert is_overdue(datetime(2026, 12, 7, 5, 59, tzinfo=UTC), as_of=AS_OF, at=AT)
    assert not is_overdue(datetime(2026, 12, 7, 6, 0, tzinfo=UTC), as_of=AS_OF, at=AT)
    assert not is_overdue(None, as_of=AS_OF, at=AT)
    items = page({"a": source(WorkItem("x", "late", deadline=date(2026, 12, 6)),
                              WorkItem("x", "today", deadline=date(2026, 12, 7)))}).items
    assert [(i.title, i.overdue) for i in items] == [("late", True), ("today", False)]


def test_a_source_is_counted_only_when_it_fills_the_limit():
    calls: list = []
    few = source(*(WorkItem("x", f"a{i}", deadline=date(2026, 12, i + 1)) for i in range(2)), calls=calls)
    many = source(*(WorkItem("x", f"b{i}", deadline=date(2026, 12, i + 1)) for i in range(5)), calls=calls)
    result = page({"few": few, "many": many}, {"few": count(2, calls), "many": count(57, calls)}, limit=3)
    assert calls == [("list", 3, False), ("list", 3, False), ("count", False)]
    assert result.total == 59 and len(result.items) == 3 and result.cut


def test_the_overdue_are_asked_for_and_counted_as_such():
    calls: list = []
    items = [WorkItem("x", f"late{i}", deadline=date(2026, 11, i + 1)) for i in range(3)]
    result = page({"s": source(*items, WorkItem("x", "later", deadline=date(2027, 1, 1)), calls=calls)},
                  {"s": count(3, calls)}, limit=3, overdue=True)
    assert calls == [("list", 3, True), ("count", True)]
    assert all(i.overdue for i in result.items) and result.total == 3


def test_a_source_that_fills_its_limit_without_a_count_is_an_error():
    with pytest.raises(LookupError, match="no count"):
        page({"s": source(WorkItem("x", "a"), WorkItem("x", "b"))}, limit=2)


def test_a_name_is_registered_once(monkeypatch):
    monkeypatch.setattr(registries, "_work_sources", {})
    first = source()
    registries.register_work_source("x")(first)
    registries.register_work_source("x")(first)  # the same function again (a module imported twice): fine
    with pytest.raises(ValueError, match="registered twice"):
        registries.register_work_source("x")(source())


def test_the_apps_register_their_work_sources_each_with_a_count():
    assert {"billing.tasks", "billing.grace", "service.cases", "value.at_risk"} <= set(work_sources())
    assert set(work_sources()) == set(work_counts())
