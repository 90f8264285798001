"""The projection equals lifelib's basiclife (BasicTerm_ME and BasicTerm_S) and refuses what lifelib gets wrong."""
from __future__ import annotations

import numpy as np
import pytest

from lifecrm.value.projection import (
    RESULT_COLUMNS,
    DiscountCurve,
    Projection,
    ProjectionError,
    project,
    round_to_cent,
)
from lifecrm.value.tests.conftest import DATA, read_reference

PV_COLUMNS = RESULT_COLUMNS[1:]


def assert_equals_lifelib(result, reference) -> None:
    """Every point of the reference (all of ME's; of S's, those lifelib had the time to run) matches."""
    where = {pid: i for i, pid in enumerate(result.policy_id)}
    index = np.array([where[pid] for pid in reference["policy_id"]])
    assert len(index) >= 500
    # Premiums equal to the cent: the same float, rounded where lifelib rounds.
    np.testing.assert_array_equal(result.columns["premium_pp"][index], reference["premium_pp"])
    for name in PV_COLUMNS:
        ours, theirs = result.columns[name][index], reference[name]
        assert np.abs(ours - theirs).max() <= 1e-6, name  # per model point
        assert abs(ours.sum() - theirs.sum()) <= 1e-9 * abs(theirs.sum()), name  # totals


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_basic_term_me_equals_lifelib(basiclife, engine):
    result = project("ME", basiclife["ME"], basiclife["mort"], basiclife["disc"], basiclife["premiums"],
                     engine=engine)
    assert_equals_lifelib(result, read_reference(DATA / "reference_me.csv"))


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_basic_term_s_equals_lifelib(basiclife, engine):
    result = project("S", basiclife["S"], basiclife["mort"], basiclife["disc"], engine=engine)
    assert_equals_lifelib(result, read_reference(DATA / "reference_s.csv"))


def test_chunks_do_not_change_the_result(basiclife):
    book = basiclife["ME"].take(slice(0, 500))
    args = ("ME", book, basiclife["mort"], basiclife["disc"], basiclife["premiums"])
    whole = project(*args, engine="numpy", chunk_size=500)
    chunked = project(*args, engine="numpy", chunk_size=7)
    for name in RESULT_COLUMNS:  # a chunk's months differ, so a sum may differ in its last bit
        np.testing.assert_allclose(whole.columns[name], chunked.columns[name], rtol=0, atol=1e-8)


def test_the_trace_adds_up_to_the_present_values(basiclife):
    """One point month by month (lifelib's result_cf): its flows discount to the point's PVs."""
    point = basiclife["ME"].take(slice(2, 3))  # policy 3: in force for 15 months at t = 0
    rates = basiclife["premiums"].lookup(point.age_at_entry, point.policy_term)
    projection = Projection(point, basiclife["mort"], basiclife["disc"], premium_rates=rates)
    rows = projection.trace(0)
    assert rows[0]["duration_mth"] == 15 and rows[0]["pols_if"] == point.policy_count[0]
    maturity = 12 * int(point.policy_term[0]) - 15
    assert rows[maturity]["pols_maturity"] > 0 and rows[maturity]["pols_if_bef_decr"] == 0
    disc = projection.disc_factors
    pv_net_cf = sum(row["net_cf"] * disc[row["t"]] for row in rows)
    assert pv_net_cf == pytest.approx(projection.pv_net_cf[0], rel=1e-12)
    for row in rows:
        assert row["net_cf"] == pytest.approx(row["premiums"] - row["claims"] - row["expenses"] - row["commissions"])


def _book(basiclife, model="ME", **changes):
    """The first three lifelib points, with one field of the second changed."""
    book = basiclife[model].take(slice(0, 3))
    for name, value in changes.items():
        getattr(book, name)[1] = value
    return book


@pytest.mark.parametrize(("changes", "message"), [
    ({"age_at_entry": 110}, "model point 2: age 129 (in policy year 20) is beyond the mortality table (ages 18-120)"),
    ({"age_at_entry": 12, "duration_mth": 0}, "model point 2: age 12 is not in the mortality table (ages 18-120)"),
    ({"age_at_entry": 19}, "model point 2: no premium rate for age_at_entry 19, policy_term 20 in the premium table"),
    ({"policy_term": 12, "duration_mth": 0}, "model point 2: no premium rate for age_at_entry 29, policy_term 12 in the premium table"),
    ({"duration_mth": 241}, "model point 2: duration_mth 241 is beyond the policy term (240 months)"),
    ({"policy_term": 0}, "model point 2: policy_term 0 must be at least 1 year"),
    ({"policy_count": -1.0}, "model point 2: policy_count -1.0 must not be negative"),
    ({"policy_id": "1"}, "model point 1 appears more than once"),
])
def test_points_outside_the_tables_are_refused_by_name(basiclife, changes, message):
    book = _book(basiclife, **changes)
    with pytest.raises(ProjectionError) as caught:
        project("ME", book, basiclife["mort"], basiclife["disc"], basiclife["premiums"])
    assert str(caught.value) == message


def test_a_projection_beyond_the_discount_curve_is_refused(basiclife):
    short = DiscountCurve(rates=basiclife["disc"].rates[:15])
    with pytest.raises(ProjectionError) as caught:
        project("S", basiclife["S"].take(slice(0, 3)), basiclife["mort"], short)
    assert str(caught.value) == ("model point 2: the projection runs to month 240 (year 20), beyond the discount "
                                 "curve (years 0-14)")


def test_every_refused_point_is_counted(basiclife):
    book = basiclife["ME"].take(slice(0, 10))
    book.age_at_entry[3:6] = 115
    with pytest.raises(ProjectionError, match=r"^model point 4: .* \(and 2 more model points\)$"):
        project("ME", book, basiclife["mort"], basiclife["disc"], basiclife["premiums"])


def test_s_ignores_count_and_duration_and_needs_no_premium_table(basiclife):
    book = _book(basiclife, policy_count=1000.0, duration_mth=-5)
    one = project("S", book, basiclife["mort"], basiclife["disc"])
    plain = project("S", basiclife["S"].take(slice(0, 3)), basiclife["mort"], basiclife["disc"])
    for name in RESULT_COLUMNS:
        np.testing.assert_array_equal(one.columns[name], plain.columns[name])
    with pytest.raises(ProjectionError, match="model ME needs a premium table"):
        project("ME", book, basiclife["mort"], basiclife["disc"])


def test_future_new_business_enters_at_its_month(basiclife):
    """duration_mth < 0 (lifelib allows it): the policies are written at month -duration_mth."""
    book = _book(basiclife, duration_mth=-6)
    args = ("ME", book, basiclife["mort"], basiclife["disc"], basiclife["premiums"])
    fast, arrays = project(*args, engine="numba"), project(*args, engine="numpy")
    for name in RESULT_COLUMNS:
        np.testing.assert_allclose(fast.columns[name], arrays.columns[name], rtol=1e-12)
    rates = basiclife["premiums"].lookup(book.age_at_entry, book.policy_term)
    projection = Projection(book, basiclife["mort"], basiclife["disc"], premium_rates=rates)
    assert projection.pols_if_bef_decr[1, :6].sum() == 0
    assert projection.pols_new_biz[1, 6] == book.policy_count[1]
    assert projection.expenses[1, 6] > basiclife["mort"].rates.size  # the acquisition expense is paid then


def test_round_to_cent_is_pythons_round():
    rng = np.random.default_rng(15)
    values = np.concatenate([
        rng.uniform(0, 1000, 100_000),
        np.arange(0, 100_000) / 100 + 0.005,  # half cents, as floats fall either side of them
        np.array([0.125, 0.375, 2.675, 1.005, 0.015, 1234.565, -0.125, -2.675]),
    ])
    expected = np.array([round(x, 2) for x in values.tolist()])
    np.testing.assert_array_equal(round_to_cent(values), expected)
