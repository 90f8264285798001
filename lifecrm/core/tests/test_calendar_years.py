"""Calendar years: each with its source and status; a day outside them is an error; `lifecrm load-calendar` loads a
published year from a file, and a bad file changes nothing."""
from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from lifecrm.core.models import AuditEvent, CalendarDay, CalendarYear
from lifecrm.core.reference_data import load_calendars
from lifecrm.core.rules import CalendarYearNotLoaded, Period, Unit
from lifecrm.core.selectors import deadline_is_provisional, jurisdiction_rule, working_calendar

pytestmark = pytest.mark.django_db

# A CN year as a State Council notice gives it (test data shaped like one, not the real 2027 notice): Spring
# Festival (Saturday 6 February) 6–13 February off, Sunday 14 and Saturday 20 February worked; National Day
# 1–7 October off, Sunday 26 September and Saturday 9 October worked.
CN_2027 = {
    "jurisdiction": "CN",
    "year": 2027,
    "status": "official",
    "source": "国务院办公厅关于2027年部分节假日安排的通知 (test copy)",
    "holidays": [{"date": "2027-01-01", "name": "元旦"}]
    + [{"date": f"2027-02-{d:02d}", "name": "春节"} for d in range(6, 14)]
    + [{"date": f"2027-10-{d:02d}", "name": "国庆节、中秋节"} for d in range(1, 8)],
    "working_days": [{"date": "2027-02-14", "name": "春节调休"}, {"date": "2027-02-20", "name": "春节调休"},
                     {"date": "2027-09-26", "name": "国庆节调休"}, {"date": "2027-10-09", "name": "国庆节调休"}],
}


def load(tmp_path, document, name="calendar.json") -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document, ensure_ascii=False),
                    encoding="utf-8")
    from io import StringIO

    out = StringIO()
    call_command("load-calendar", str(path), stdout=out)
    return out.getvalue()


def snapshot(code: str = "CN"):
    return (list(CalendarDay.objects.filter(jurisdiction=code).order_by("day")
                 .values_list("day", "is_working_day", "name", "is_override")),
            list(CalendarYear.objects.filter(jurisdiction=code).order_by("year").values_list("year", "status", "source")))


class TestYearsAsShipped:
    def test_each_jurisdiction_is_official_to_its_last_published_year_then_provisional(self):
        for code in ("CN", "HK", "TW"):
            years = dict(CalendarYear.objects.filter(jurisdiction=code).values_list("year", "status"))
            assert sorted(years) == list(range(2008, 2032))
            assert {y for y, s in years.items() if s == "official"} == set(range(2008, 2027))
            assert all(CalendarYear.objects.filter(jurisdiction=code).values_list("source", flat=True))

    def test_a_deadline_in_a_provisional_year_says_so(self):
        assert not deadline_is_provisional("CN", date(2026, 12, 31))
        assert deadline_is_provisional("CN", date(2027, 1, 4))
        assert deadline_is_provisional("CN", date(2040, 1, 4))  # not loaded at all: nothing vouches for it
        assert not deadline_is_provisional("CN", None)
        assert working_calendar("CN").is_provisional(date(2027, 1, 4))
        assert not working_calendar("HK").is_provisional(date(2026, 4, 3))

    @pytest.mark.parametrize("code", ["CN", "HK", "TW"])
    def test_a_day_outside_every_loaded_year_is_an_error_naming_the_year(self, code):
        calendar = working_calendar(code)
        assert calendar.is_working_day(date(2031, 12, 31)) in (True, False)
        with pytest.raises(CalendarYearNotLoaded, match=f"the {code} working calendar has no year 2032") as caught:
            calendar.is_working_day(date(2032, 1, 1))
        assert caught.value.year == 2032 and caught.value.jurisdiction == code
        with pytest.raises(CalendarYearNotLoaded, match="no year 2007"):
            calendar.next_working_day(date(2007, 12, 31))

    def test_a_customer_deadline_running_past_the_last_year_is_an_error_not_a_weekday_guess(self):
        grace = jurisdiction_rule("CN", "grace_period").period
        assert grace.end(date(2031, 10, 1), working_calendar("CN")) == date(2031, 12, 1)
        with pytest.raises(CalendarYearNotLoaded, match="2032"):
            grace.end(date(2031, 11, 15), working_calendar("CN"))
        with pytest.raises(CalendarYearNotLoaded, match="2032"):  # working days cross into 2032
            Period(10, Unit.WORKING_DAYS).end(date(2031, 12, 24), working_calendar("CN"))
        # an insurer's limit in calendar days needs no calendar, so no year
        assert Period(15, Unit.DAYS).end(date(2031, 12, 24)) == date(2032, 1, 8)

    def test_the_2027_guess_has_no_make_up_days(self):
        cn = working_calendar("CN")
        assert not cn.is_working_day(date(2027, 2, 20))  # a Saturday: a rest day until the notice says otherwise


class TestLoadCalendar:
    def test_a_published_year_replaces_the_guess(self, tmp_path):
        assert working_calendar("CN").is_provisional(date(2027, 2, 20))
        out = load(tmp_path, CN_2027)
        assert out.strip() == "CN 2027 loaded as official: 11 holidays on working days, 4 make-up working days"
        year = CalendarYear.objects.get(jurisdiction="CN", year=2027)
        assert (year.status, year.source) == ("official", CN_2027["source"])
        cn = working_calendar("CN")  # this process forgot its copy when the load committed
        assert not cn.is_provisional(date(2027, 2, 20)) and not deadline_is_provisional("CN", date(2027, 2, 20))
        assert cn.is_working_day(date(2027, 2, 20)) and cn.is_working_day(date(2027, 2, 14))
        assert not cn.is_working_day(date(2027, 2, 8)) and not cn.is_working_day(date(2027, 10, 7))
        assert cn.is_working_day(date(2027, 10, 8))
        # a customer deadline on the worked Saturday stays; on the holiday week it moves to 8 October
        grace = jurisdiction_rule("CN", "grace_period").period
        assert grace.end(date(2026, 12, 22), cn) == date(2027, 2, 20)
        assert grace.end(date(2027, 8, 2), cn) == date(2027, 10, 8)
        event = AuditEvent.objects.get(object_type="core.CalendarYear", object_id="CN/2027")
        assert event.before == {"status": "provisional", "source": event.before["source"]}
        assert event.after["status"] == "official" and event.after["working_days"] == 4
        assert load(tmp_path, CN_2027).startswith("CN 2027 loaded as official")  # a correction loads again

    def test_a_manual_override_stays_and_is_reported(self, tmp_path):
        CalendarDay.objects.create(jurisdiction_id="CN", day=date(2027, 7, 20), is_working_day=False,
                                   name="typhoon", is_override=True)
        out = load(tmp_path, CN_2027)
        assert "manual overrides kept on 2027-07-20" in out
        assert not working_calendar("CN").is_working_day(date(2027, 7, 20))

    def test_a_reload_of_the_shipped_calendars_keeps_a_published_year(self, tmp_path):
        load(tmp_path, CN_2027)
        load_calendars(years=[2026, 2027])
        assert CalendarYear.objects.get(jurisdiction="CN", year=2027).status == "official"
        assert working_calendar("CN").is_working_day(date(2027, 2, 20))

    def test_a_new_year_extends_the_calendar(self, tmp_path):
        document = dict(CN_2027, year=2032, status="provisional", source="company forecast",
                        holidays=[{"date": "2032-01-01", "name": "元旦"}], working_days=[])
        load(tmp_path, document)
        cn = working_calendar("CN")
        assert not cn.is_working_day(date(2032, 1, 1)) and cn.is_provisional(date(2032, 1, 1))

    @pytest.mark.parametrize(("document", "message"), [
        ("{not json", "not JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
        ("[]", "the file must hold one JSON object"),
        (dict(CN_2027, holiday=[]), "unknown fields ['holiday']"),
        ({k: v for k, v in CN_2027.items() if k != "source"}, "missing fields ['source']"),
        (dict(CN_2027, jurisdiction="XX"), "unknown jurisdiction 'XX' (known: CN, HK, TW)"),
        (dict(CN_2027, year="2027"), "year must be a whole number from 1990 to 2100, not '2027'"),
        (dict(CN_2027, status="final"), "status must be one of official, provisional, not 'final'"),
        (dict(CN_2027, source=" "), "source must be a non-empty text"),
        (dict(CN_2027, holidays=["2027-01-01"]), 'holidays[0] must be an object with a "date"'),
        (dict(CN_2027, holidays=[{"date": "2027-1-1"}]), "holidays[0].date must be a date as YYYY-MM-DD, not '2027-1-1'"),
        (dict(CN_2027, holidays=[{"date": "2027-02-30"}]), "holidays[0].date must be a date as YYYY-MM-DD"),
        (dict(CN_2027, holidays=[{"date": "2028-01-01"}]), "holidays[0].date 2028-01-01 is not in the file's year 2027"),
        (dict(CN_2027, holidays=[{"date": "2027-01-01"}, {"date": "2027-01-01"}]),
         "holidays[1].date 2027-01-01 is listed twice in holidays"),
        (dict(CN_2027, holidays=[{"date": "2027-01-01", "day": "Friday"}]), "holidays[0] has unknown fields ['day']"),
        (dict(CN_2027, working_days=[{"date": "2027-03-10"}]),
         "working_days: 2027-03-10 is a Wednesday, a working day of the CN week anyway"),
        (dict(CN_2027, working_days=[{"date": "2027-02-06"}]), "2027-02-06 is both a holiday and a make-up working day"),
    ])
    def test_a_bad_file_says_what_is_wrong_and_changes_nothing(self, tmp_path, document, message):
        before = snapshot()
        with pytest.raises(CommandError) as caught:
            load(tmp_path, document)
        assert message in str(caught.value) and str(caught.value).endswith("nothing was loaded")
        assert snapshot() == before

    def test_a_provisional_file_never_replaces_a_published_year(self, tmp_path):
        before = snapshot()
        with pytest.raises(CommandError, match="CN 2026 is loaded as official .*a provisional file cannot replace it"):
            load(tmp_path, dict(CN_2027, year=2026, status="provisional", holidays=[], working_days=[]))
        assert snapshot() == before

    def test_a_missing_or_unreadable_file(self, tmp_path):
        with pytest.raises(CommandError, match="no such file"):
            call_command("load-calendar", str(tmp_path / "none.json"))
        (tmp_path / "latin1.json").write_bytes("{\"source\": \"caf\xe9\"}".encode("latin-1"))
        with pytest.raises(CommandError, match="not UTF-8 text"):
            call_command("load-calendar", str(tmp_path / "latin1.json"))
