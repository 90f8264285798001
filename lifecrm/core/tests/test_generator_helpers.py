"""The generator's vectorised helpers agree with the scalar rules: dates, encryption, hashes, COPY rows."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from lifecrm.core import generator as g
from lifecrm.core.fields import decrypt_text, keyed_hash
from lifecrm.core.generator import dates, postgres_writer, steps
from lifecrm.core.rules import add_months, age_last_birthday


def test_add_months_and_ages_match_the_scalar_rules():
    rng = np.random.default_rng(5)
    starts = rng.integers(g.days_of(date(1950, 1, 1)), g.days_of(date(2030, 1, 1)), 3000)
    starts[:4] = [g.days_of(d) for d in (date(2024, 1, 31), date(2024, 2, 29), date(2023, 12, 31), date(2000, 3, 31))]
    months = rng.integers(-300, 300, 3000)
    shifted = g.add_months(starts, months)
    ends = starts + rng.integers(0, 20000, 3000)
    ages = g.age_on(starts, ends)
    elapsed = g.whole_months_between(starts, ends)
    for s, m, out, e, age, whole in zip(starts.tolist(), months.tolist(), shifted.tolist(), ends.tolist(),
                                        ages.tolist(), elapsed.tolist(), strict=True):
        start = g.date_of(s)
        assert g.date_of(out) == add_months(start, m)
        assert age == age_last_birthday(start, g.date_of(e))
        assert add_months(start, whole) <= g.date_of(e) < add_months(start, whole + 1)


def test_iso_dates_and_datetimes():
    days = np.array([g.days_of(date(2026, 11, 25)), g.NO_DATE])
    assert g.iso_dates(days).tolist() == ["2026-11-25", None]
    seconds = np.array([g.days_of(date(2026, 11, 25)) * 86400 + 3661])
    assert dates.datetime_strings(seconds, "").tolist() == ["2026-11-25 01:01:01"]
    assert dates.datetime_strings(seconds, "+00").tolist() == ["2026-11-25 01:01:01+00"]


def test_encrypt_many_gives_fernet_tokens_that_decrypt():
    values = ["110101198005171235", "A1234563", "x" * 40, "中文"]
    tokens = g.encrypt_many(values)
    assert [decrypt_text(t) for t in tokens] == values
    assert g.encrypt_many(values) != tokens  # a fresh IV each time


def test_encrypt_many_on_a_process_pool_gives_the_same_plain_values(monkeypatch):
    from lifecrm.core.generator import sensitive

    monkeypatch.setattr(sensitive, "PARALLEL_MIN", 10)
    values = [f"6222{n:015d}" for n in range(101)]
    tokens = sensitive.encrypt_many(values, processes=2)
    assert [decrypt_text(t) for t in tokens] == values
    assert sensitive.keyed_hashes(values, processes=2) == [keyed_hash(v) for v in values]


def test_keyed_hashes_equal_the_field_hash():
    values = ["110101198005171235", "A1234563"]
    assert g.keyed_hashes(values) == [keyed_hash(v) for v in values]


def test_unique_tail_is_a_bijection():
    tails = g.unique_tail(np.arange(100_000), 10**8, 12345)
    assert len(np.unique(tails)) == 100_000


def test_working_days_move_to_the_next_working_day(db):
    calendar = g.WorkingDays("CN", date(2026, 1, 1), date(2026, 12, 31))
    saturday = g.days_of(date(2026, 11, 28))
    assert g.date_of(int(calendar.next_working_day(np.array([saturday]))[0])) == date(2026, 11, 30)
    october_first = g.days_of(date(2026, 10, 1))  # National Day holiday
    moved = g.date_of(int(calendar.next_working_day(np.array([october_first]))[0]))
    assert moved > date(2026, 10, 1) and moved - date(2026, 10, 1) < timedelta(days=10)


@pytest.mark.parametrize("size", [1, 19_999, 20_000, 45_001])
def test_chunks_cover_the_book(size):
    chunks = steps.plan_chunks(size)
    assert sum(c.size for c in chunks) == size and chunks[0].first == 0
    assert all(b.first == a.first + a.size for a, b in zip(chunks, chunks[1:], strict=False))


def test_digits_str_pads_like_format():
    values = np.array([0, 7, 123, 99_999, 10**9 + 5])
    assert g.digits_str(values, 10).tolist() == [f"{v:010d}" for v in values.tolist()]
    assert g.digits_str(np.array([-1, 5]), 3).tolist() == ["-01", "005"]  # outside the digits: as format does
    assert g.digits_str(np.array([123456]), 4).tolist() == ["123456"]


def test_copy_binary_rows_read_back_as_written(db):
    """Every type the generator writes on PostgreSQL, NULLs, constants and odd values, through COPY BINARY."""
    import json
    from decimal import Decimal

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's COPY BINARY")
    day = g.days_of(date(2026, 11, 25))
    columns = {
        "i2": ("int2", np.array([1, -2, 300]), {}),
        "i4": ("int4", np.array([0, 2**31 - 1, -(2**31)]), {}),
        "i8": ("int8", np.array([5, 0, 2**40]), {"null_zero": True}),
        "b": ("bool", np.array([True, False, True]), {}),
        "d": ("date", np.array([day, g.NO_DATE, g.days_of(date(1900, 1, 1))]), {}),
        "ts": ("timestamptz", np.array([0, day * 86400 + 3661, 946_684_800]), {}),
        "n2": ("numeric", np.array([0.0, -1234567890123.45, 0.05]), {"places": 2}),
        "n6": ("numeric", np.array([1.5, 99_999.123457, -0.000001]), {"places": 6}),
        "t": ("text", np.array(["", "王小明", None], dtype=object), {}),
        "v": ("varchar", np.array(["ab", "cd", "ef"], dtype=object), {}),
        "j": ("jsonb", np.array(['{"a": 1}', None, '{"due_date": "2026-11-25"}'], dtype=object), {}),
        "const_text": ("text", "premium", {}),
        "const_null": ("int4", None, {}),
        "const_num": ("numeric", 12.5, {"places": 2}),
        "const_day": ("date", date(2026, 1, 31), {}),
    }
    fields = [(name, postgres_writer.binary_field(kind, value, 3, **options)) for name, (kind, value, options) in columns.items()]
    names, data = postgres_writer.copy_binary(fields, 3)
    types = {"int2": "smallint", "int4": "integer", "int8": "bigint", "timestamptz": "timestamp with time zone",
             "numeric": "numeric(20, 6)"}
    with connection.cursor() as django_cursor:
        raw = django_cursor.connection
        with raw.cursor() as cursor:
            definition = ", ".join(f'"{n}" {types.get(k, k)}' for n, (k, _, _) in columns.items())
            cursor.execute(f"CREATE TEMP TABLE copy_check (row serial, {definition})")
            quoted = ", ".join(f'"{n}"' for n in names)
            with cursor.copy(f"COPY copy_check ({quoted}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(postgres_writer._COPY_SIGNATURE)
                copy.write(memoryview(data))
                copy.write(b"\xff\xff")
            cursor.execute(f"SELECT {', '.join(chr(34) + n + chr(34) for n in columns)} FROM copy_check ORDER BY row")
            rows = cursor.fetchall()
            cursor.execute("DROP TABLE copy_check")
    got = {name: [r[i] for r in rows] for i, name in enumerate(columns)}
    assert got["i2"] == [1, -2, 300] and got["i4"] == [0, 2**31 - 1, -(2**31)]
    assert got["i8"] == [5, None, 2**40]
    assert got["b"] == [True, False, True]
    assert got["d"] == [date(2026, 11, 25), None, date(1900, 1, 1)]
    assert [t.timestamp() for t in got["ts"]] == [0, day * 86400 + 3661, 946_684_800]
    assert got["n2"] == [Decimal("0"), Decimal("-1234567890123.45"), Decimal("0.05")]
    assert str(got["n2"][2]) == "0.050000"  # the column's scale; the value written at its field's places
    assert got["n6"] == [Decimal("1.5"), Decimal("99999.123457"), Decimal("-0.000001")]
    assert got["t"] == ["", "王小明", None] and got["v"] == ["ab", "cd", "ef"]
    assert [json.loads(v) if isinstance(v, str) else v for v in got["j"]] == [{"a": 1}, None,
                                                                              {"due_date": "2026-11-25"}]
    assert got["const_text"] == ["premium"] * 3 and got["const_null"] == [None] * 3
    assert got["const_num"] == [Decimal("12.5")] * 3 and got["const_day"] == [date(2026, 1, 31)] * 3
