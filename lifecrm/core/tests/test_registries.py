"""Registries: daily and generator steps in dependency order, cycles refused; timeline sources merged by time."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from lifecrm.core.registries import (
    ServedClosed,
    StepRegistry,
    TimelineEntry,
    as_datetime_key,
    merge_timeline,
    timeline_counts,
    timeline_page,
    timeline_sources,
)


def step(name):
    def func(**kwargs):
        return name

    func.__doc__ = f"the {name} step"
    return func


def registry(spec: dict[str, tuple[str, ...]]) -> StepRegistry:
    steps = StepRegistry("test")
    for name, after in spec.items():
        steps.register(name, after=after)(step(name))
    return steps


class TestStepOrder:
    def test_dependencies_first_then_by_name(self):
        steps = registry({
            "reminders": ("schedules",),
            "lapse": ("grace",),
            "schedules": (),
            "grace": ("schedules",),
            "apl": ("grace",),
            "value": (),
        })
        # each time, the first step by name whose dependencies have all run
        assert steps.names() == ["schedules", "grace", "apl", "lapse", "reminders", "value"]

    def test_order_is_stable_whatever_the_registration_order(self):
        spec = {"c": ("a",), "b": (), "a": (), "d": ("b", "c")}
        forward = registry(spec).names()
        backward = registry(dict(reversed(list(spec.items())))).names()
        assert forward == backward == ["a", "b", "c", "d"]

    def test_waves_hold_the_steps_whose_dependencies_ran_in_earlier_waves(self):
        steps = registry({
            "reminders": ("lapse",), "export": ("lapse",), "lapse": ("grace",), "grace": ("raise",),
            "raise": (), "resend": ("reminders",), "value": (),
        })
        assert [[s.name for s in wave] for wave in steps.waves()] == [
            ["raise", "value"], ["grace"], ["lapse"], ["export", "reminders"], ["resend"]]
        assert registry({}).waves() == []

    def test_a_cycle_is_refused_naming_its_steps(self):
        steps = registry({"a": ("c",), "b": ("a",), "c": ("b",), "d": ()})
        with pytest.raises(ValueError, match="cycle") as refused:
            steps.ordered()
        assert all(name in str(refused.value) for name in "abc") and "'d'" not in str(refused.value)

    def test_a_step_after_itself_is_a_cycle(self):
        with pytest.raises(ValueError, match="cycle"):
            registry({"a": ("a",)}).ordered()

    def test_an_unknown_dependency_is_refused(self):
        with pytest.raises(LookupError, match="'lapse' runs after unknown step 'grace'"):
            registry({"lapse": ("grace",)}).ordered()

    def test_a_name_registered_twice_with_another_function_is_refused(self):
        steps = StepRegistry("test")
        first = step("a")
        steps.register("a")(first)
        steps.register("a")(first)  # the same function again (a module imported twice) is fine
        with pytest.raises(ValueError, match="registered twice"):
            steps.register("a")(step("a"))

    def test_before_is_after_declared_by_the_other_side(self):
        steps = StepRegistry("test")
        steps.register("send")(step("send"))  # a lower app's step: it cannot name the steps that feed it
        steps.register("care", before=("send",))(step("care"))
        steps.register("reminders", after=("lapse",), before=("send",))(step("reminders"))
        steps.register("lapse")(step("lapse"))
        assert steps.names() == ["care", "lapse", "reminders", "send"]
        assert [[s.name for s in wave] for wave in steps.waves()] == [["care", "lapse"], ["reminders"], ["send"]]
        assert steps.dependencies()["send"] == ("care", "reminders")

    def test_before_an_unknown_step_is_refused_and_a_cycle_through_before_too(self):
        steps = StepRegistry("test")
        steps.register("care", before=("send",))(step("care"))
        with pytest.raises(LookupError, match="'care' runs before unknown step 'send'"):
            steps.ordered()
        steps.register("send", before=("care",))(step("send"))
        with pytest.raises(ValueError, match="cycle"):
            steps.ordered()

    def test_description_defaults_to_the_docstring(self):
        steps = registry({"grace": ()})
        assert steps.ordered()[0].description == "the grace step"

    def test_the_real_daily_registry_is_ordered(self):
        from lifecrm.core.registries import daily_steps, generator_steps

        for steps in (daily_steps, generator_steps):
            order = steps.names()
            for entry in steps.ordered():
                assert all(order.index(dep) < order.index(entry.name) for dep in entry.after)
                assert all(order.index(later) > order.index(entry.name) for later in entry.before)


SHANGHAI = timezone(timedelta(hours=8))


class TestTimeline:
    def test_dates_sort_at_the_start_of_their_day(self):
        assert as_datetime_key(date(2025, 1, 2)) < as_datetime_key(datetime(2025, 1, 2, 0, 0, 1, tzinfo=SHANGHAI))
        assert as_datetime_key(date(2025, 1, 2)) > as_datetime_key(datetime(2025, 1, 1, 23, 59, tzinfo=SHANGHAI))

    def test_aware_datetimes_are_placed_on_the_local_day(self, settings):
        """The database gives back UTC; 01:00 in Shanghai on 2 January is 17:00 UTC on 1 January."""
        settings.TIME_ZONE = "Asia/Shanghai"
        from_db = datetime(2025, 1, 1, 17, 0, tzinfo=UTC)
        assert as_datetime_key(from_db) > as_datetime_key(date(2025, 1, 2))
        assert as_datetime_key(from_db) < as_datetime_key(datetime(2025, 1, 2, 2, 0, tzinfo=SHANGHAI))

    def test_merge_newest_first_across_sources(self, settings):
        settings.TIME_ZONE = "Asia/Shanghai"

        def policies(*, as_of, customer_id):
            return [TimelineEntry(date(2025, 1, 2), "policy", "issued"),
                    TimelineEntry(date(2024, 12, 31), "policy", "proposed")]

        def calls(*, as_of, customer_id):
            return [TimelineEntry(datetime(2025, 1, 1, 17, 0, tzinfo=UTC), "call", "call at 01:00 on 2 Jan"),
                    TimelineEntry(datetime(2025, 1, 1, 3, 0, tzinfo=UTC), "call", "call at 11:00 on 1 Jan")]

        merged = merge_timeline({"policies": policies, "calls": calls}, as_of=date(2025, 1, 31), customer_id=1)
        assert [e.title for e in merged] == ["call at 01:00 on 2 Jan", "issued", "call at 11:00 on 1 Jan",
                                             "proposed"]


class TestTimelinePage:
    """A page of the merged timeline asks each source for no more than the page can show, counts only a source
    with more, and the pages together are the whole merged timeline."""

    @staticmethod
    def source(days: list[int], calls: list):
        def entries(*, as_of, customer_id, limit):
            calls.append(("entries", limit))
            found = [TimelineEntry(date(2025, 1, 1) + timedelta(days=d), "x", f"day {d}") for d in sorted(days)[::-1]]
            return found[:limit]

        def count(*, as_of, customer_id):
            calls.append(("count",))
            return len(days)

        return entries, count

    def test_pages_cover_the_merged_timeline_with_its_true_total(self):
        calls: list = []
        policies, policy_count = self.source(list(range(0, 50, 2)), calls)  # 25 entries
        reminders, reminder_count = self.source([1, 3, 5], calls)  # 3 entries
        sources, counts = {"p": policies, "r": reminders}, {"p": policy_count, "r": reminder_count}
        pages = [timeline_page(sources, counts, as_of=date(2025, 12, 31), customer_id=1, offset=offset, limit=10)
                 for offset in (0, 10, 20)]
        assert {page.total for page in pages} == {28}
        shown = [e.title for page in pages for e in page.entries]
        merged = merge_timeline(sources, as_of=date(2025, 12, 31), customer_id=1, limit=100)
        assert shown == [e.title for e in merged] and len(shown) == 28
        # a source is counted only when it fills what was asked: the long one for the first two pages (10, 20 of
        # its 25), not for the third (30), the short one never
        assert calls.count(("count",)) == 2 and ("entries", 30) in calls

    def test_a_source_without_a_count_is_refused(self):
        calls: list = []
        entries, _ = self.source([1], calls)
        with pytest.raises(LookupError, match="without a count: calls"):
            timeline_page({"calls": entries}, {}, as_of=date(2025, 1, 31), customer_id=1, offset=0, limit=10)

    def test_every_registered_source_has_a_count(self):
        assert set(timeline_sources()) == set(timeline_counts())


def test_served_closed_now_names_the_row_by_its_key_at_this_instant():
    class Row:
        pk = 42

    before = datetime.now(UTC)
    event = ServedClosed.now("claims.claim", Row(), label="CL0042", customer="c", staff=None, unit="u")
    assert (event.kind, event.id, event.label, event.customer, event.staff, event.unit) == (
        "claims.claim", 42, "CL0042", "c", None, "u")
    assert event.at.tzinfo is not None and before <= event.at <= datetime.now(UTC)
