"""A vectorised monthly cash-flow projection of a whole book: lifelib's basiclife, array at a time.

It reproduces lifelib's `basiclife` models `BasicTerm_ME` (a book of model points, each with
`policy_count` policies, some already in force at `duration_mth` months) and `BasicTerm_S` (one
new policy per model point, premium from the equivalence principle with a loading). Each quantity
is one small named function of lifelib's name, computed for a chunk of model points and every
month at once: a (points × months) array. lifelib's formulas, month t = 0, 1, …:

    duration_mth(t) = duration_mth(0) + t          duration(t) = duration_mth(t) // 12
    age(t) = age_at_entry + duration(t)
    mort_rate(t) = mort_table[age(t), min(duration(t), 5)]      (select 0..4, then ultimate 5)
    mort_rate_mth(t) = 1 - (1 - mort_rate(t)) ** (1/12)
    lapse_rate(t) = max(0.1 - 0.02 duration(t), 0.02), monthly 1 - (1 - lapse_rate) ** (1/12)
    pols_if(t) (before maturity) = pols_if(t-1, before decrements) - pols_lapse(t-1) - pols_death(t-1)
    pols_if(t, before decrements) = pols_if(t) - pols_maturity(t) + pols_new_biz(t)
    pols_death(t) = pols_if(t, before decrements) × mort_rate_mth(t)
    pols_lapse(t) = (pols_if(t, before decrements) - pols_death(t)) × lapse_rate_mth(t)
    premiums(t) = premium_pp × pols_if(t, before decrements)      claims(t) = sum_assured × pols_death(t)
    expenses(t) = 300 × pols_new_biz(t) + pols_if(t, before decrements) × 60 / 12 × 1.01 ** (t/12)
    commissions(t) = premiums(t) in the first policy year, else 0
    disc_factors(t) = (1 + disc_rate_mth(t)) ** -t,  disc_rate_mth(t) = (1 + disc_rate_ann[t // 12]) ** (1/12) - 1
    pv_x = Σ_t x(t) × disc_factors(t)

Premiums: ME `premium_pp = round(sum_assured × premium_rate[age_at_entry, policy_term], 2)` with
numpy's `around`; S `premium_pp = round((1 + 0.5) × pv_claims / pv_pols_if, 2)` with Python's
`round` (half to even on the float), exactly where lifelib rounds.

Unlike lifelib, which returns NaN (ME) or fails somewhere inside (S) for a point outside its
tables, `check_points` refuses the book and names the point and the missing table entry.
Memory stays bounded: `project` works through the book `chunk_size` points at a time.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

MODELS = ("ME", "S")
SELECT_YEARS = 5  # mortality columns 0..4 are select, 5 is ultimate
RESULT_COLUMNS = ("premium_pp", "pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pv_net_cf")


class ProjectionError(ValueError):
    """A book or table the projection refuses, with a message naming the point and the entry."""


@dataclass(frozen=True)
class Assumptions:
    """lifelib basiclife's assumptions, one home each."""

    expense_acq: float = 300.0
    expense_maint: float = 60.0
    inflation_rate: float = 0.01
    loading_prem: float = 0.5
    lapse_start: float = 0.1
    lapse_step: float = 0.02
    lapse_floor: float = 0.02

    def lapse_rate(self, duration: np.ndarray) -> np.ndarray:
        return np.maximum(self.lapse_start - self.lapse_step * duration, self.lapse_floor)

    def lapse_rate_mth(self, duration: np.ndarray) -> np.ndarray:
        """The monthly rate of the annual lapse rate in each policy year `duration`."""
        return 1 - (1 - self.lapse_rate(duration)) ** (1 / 12)

    def inflation_factor(self, t: np.ndarray) -> np.ndarray:
        """Expense inflation from month 0 to each month `t`."""
        return (1 + self.inflation_rate) ** (t / 12)


LIFELIB = Assumptions()


@dataclass(frozen=True)
class MortalityTable:
    """Annual rates q by age (contiguous from `min_age`) and duration 0..5 (5 = ultimate)."""

    min_age: int
    rates: np.ndarray  # (ages, 6)

    @property
    def max_age(self) -> int:
        return self.min_age + self.rates.shape[0] - 1

    @cached_property
    def monthly(self) -> np.ndarray:
        return 1 - (1 - self.rates) ** (1 / 12)


@dataclass(frozen=True)
class DiscountCurve:
    """Annual spot rates by projection year 0, 1, …"""

    rates: np.ndarray

    @property
    def years(self) -> int:
        return len(self.rates)

    def disc_rate_mth(self, months: int) -> np.ndarray:
        return (1 + self.rates[np.arange(months) // 12]) ** (1 / 12) - 1

    def disc_factors(self, months: int) -> np.ndarray:
        return (1 + self.disc_rate_mth(months)) ** (-np.arange(months, dtype=float))


@dataclass(frozen=True)
class PremiumTable:
    """Premium rates per unit of sum assured by (age_at_entry, policy_term); NaN where there is none."""

    min_age: int
    min_term: int
    rates: np.ndarray  # (ages, terms)

    def lookup(self, age: np.ndarray, term: np.ndarray) -> np.ndarray:
        i, j = age - self.min_age, term - self.min_term
        inside = (i >= 0) & (i < self.rates.shape[0]) & (j >= 0) & (j < self.rates.shape[1])
        out = np.full(age.shape, np.nan)
        out[inside] = self.rates[i[inside], j[inside]]
        return out


@dataclass(frozen=True)
class ModelPoints:
    """The book: one entry per model point (S ignores policy_count and duration_mth)."""

    policy_id: np.ndarray  # str
    age_at_entry: np.ndarray  # int64
    policy_term: np.ndarray  # int64, years
    policy_count: np.ndarray  # float64
    sum_assured: np.ndarray  # float64
    duration_mth: np.ndarray  # int64, months in force at t = 0

    def __len__(self) -> int:
        return len(self.policy_id)

    def take(self, index: slice | np.ndarray | list[int]) -> ModelPoints:
        """The points at `index`, as copies."""
        return ModelPoints(*(getattr(self, name)[index].copy() for name in self.__dataclass_fields__))

    def as_new_business(self) -> ModelPoints:
        """BasicTerm_S: one new policy per point."""
        return ModelPoints(self.policy_id, self.age_at_entry, self.policy_term, np.ones(len(self)),
                           self.sum_assured, np.zeros(len(self), dtype=np.int64))


def premium_pp_from_table(sum_assured: np.ndarray, premium_rates: np.ndarray) -> np.ndarray:
    """ME: lifelib's `np.around(sum_assured * prem_rates, 2)`."""
    return np.around(sum_assured * premium_rates, 2)


def premium_pp_from_claims(pv_claims: np.ndarray, pv_pols_if: np.ndarray, a: Assumptions) -> np.ndarray:
    """S: lifelib's `round((1 + loading_prem()) * net_premium_pp(), 2)`, Python's round on each float."""
    gross = (1 + a.loading_prem) * (pv_claims / pv_pols_if)
    return round_to_cent(gross)


def round_to_cent(x: np.ndarray) -> np.ndarray:
    """Python's `round(x, 2)` on each float (correctly rounded, half to even), at numpy's speed.

    numpy's `around` rounds `x * 100`, which can differ from Python only when that product lies
    within a rounding error of a half cent; those few are rounded by Python itself.
    """
    cents = x * 100
    out = np.around(cents) / 100
    near_half = np.abs(np.abs(cents - np.trunc(cents)) - 0.5) < 1e-6 + 8 * np.spacing(np.abs(cents))
    out[near_half] = [round(value, 2) for value in x[near_half].tolist()]
    return out


def proj_len(points: ModelPoints) -> np.ndarray:
    """Months projected per point, lifelib's `max(12 × policy_term - duration_mth + 1, 0)`."""
    return np.maximum(12 * points.policy_term - points.duration_mth + 1, 0)


def _first_bad(bad: np.ndarray, points: ModelPoints, describe) -> None:
    if bad.any():
        where = np.flatnonzero(bad)
        more = f" (and {len(where) - 1} more model points)" if len(where) > 1 else ""
        i = where[0]
        raise ProjectionError(f"model point {points.policy_id[i]}: {describe(i)}{more}")


def check_points(points: ModelPoints, mort: MortalityTable, disc: DiscountCurve,
                 premiums: PremiumTable | None = None) -> None:
    """Refuse a book any of whose points needs a table entry that is not there."""
    if len(points) == 0:
        raise ProjectionError("the model point file has no model points")
    if len(set(points.policy_id.tolist())) != len(points):
        seen: set = set()
        twice = next(pid for pid in points.policy_id if pid in seen or seen.add(pid))
        raise ProjectionError(f"model point {twice} appears more than once")
    p = points
    _first_bad(p.policy_term < 1, p, lambda i: f"policy_term {p.policy_term[i]} must be at least 1 year")
    _first_bad(p.age_at_entry < 0, p, lambda i: f"age_at_entry {p.age_at_entry[i]} must not be negative")
    _first_bad(~(p.sum_assured >= 0), p, lambda i: f"sum_assured {p.sum_assured[i].item()!r} must not be negative")
    _first_bad(~(p.policy_count >= 0), p, lambda i: f"policy_count {p.policy_count[i].item()!r} must not be negative")
    _first_bad(p.duration_mth > 12 * p.policy_term, p,
               lambda i: f"duration_mth {p.duration_mth[i]} is beyond the policy term ({12 * p.policy_term[i]} months)")
    # Ages while the point is in force: from its age at t = 0 (or at entry, new business) to the last month.
    first_age = p.age_at_entry + np.maximum(p.duration_mth, 0) // 12
    last_age = p.age_at_entry + p.policy_term - 1
    live = p.duration_mth < 12 * p.policy_term
    _first_bad(live & (first_age < mort.min_age), p,
               lambda i: f"age {first_age[i]} is not in the mortality table (ages {mort.min_age}-{mort.max_age})")
    _first_bad(live & (last_age > mort.max_age), p,
               lambda i: f"age {last_age[i]} (in policy year {p.policy_term[i]}) is beyond the mortality table "
                         f"(ages {mort.min_age}-{mort.max_age})")
    last_month = proj_len(p) - 1
    _first_bad(last_month // 12 >= disc.years, p,
               lambda i: f"the projection runs to month {last_month[i]} (year {last_month[i] // 12}), beyond the "
                         f"discount curve (years 0-{disc.years - 1})")
    if premiums is not None:
        rate = premiums.lookup(p.age_at_entry, p.policy_term)
        _first_bad(np.isnan(rate), p, lambda i: f"no premium rate for age_at_entry {p.age_at_entry[i]}, "
                                                f"policy_term {p.policy_term[i]} in the premium table")


class Projection:
    """One chunk of model points projected over its longest point's months; lifelib's names, one array each.

    Arrays are (points, months); `pv_*` are per point. `premium_rates` (ME) are per unit of sum
    assured; without them (S) the premium is computed from the claims as lifelib does.
    """

    def __init__(self, points: ModelPoints, mort: MortalityTable, disc: DiscountCurve, *,
                 premium_rates: np.ndarray | None = None, assumptions: Assumptions = LIFELIB):
        self.points = points
        self.mort = mort
        self.disc = disc
        self.premium_rates = premium_rates
        self.a = assumptions
        self.months = int(proj_len(points).max())
        self.t = np.arange(self.months)

    # time and age
    @cached_property
    def duration_mth(self) -> np.ndarray:
        return self.points.duration_mth[:, None] + self.t

    @cached_property
    def duration(self) -> np.ndarray:
        return self.duration_mth // 12

    @cached_property
    def age(self) -> np.ndarray:
        return self.points.age_at_entry[:, None] + self.duration

    @cached_property
    def maturity_t(self) -> np.ndarray:
        """Month of maturity: duration_mth(t) = 12 × policy_term."""
        return 12 * self.points.policy_term - self.points.duration_mth

    @cached_property
    def entry_t(self) -> np.ndarray:
        """First month in force: 0, or the month a future new policy is written."""
        return np.maximum(-self.points.duration_mth, 0)

    @cached_property
    def in_force(self) -> np.ndarray:
        """Months the point is in force before decrements."""
        return (self.t >= self.entry_t[:, None]) & (self.t < self.maturity_t[:, None])

    # decrement rates
    @cached_property
    def mort_rate_mth(self) -> np.ndarray:
        ages = np.clip(self.age - self.mort.min_age, 0, self.mort.rates.shape[0] - 1)
        select = np.clip(self.duration, 0, SELECT_YEARS)
        return self.mort.monthly[ages, select]

    @cached_property
    def lapse_rate_mth(self) -> np.ndarray:
        years = np.arange(int(self.duration.max(initial=0)) + 1)
        return self.a.lapse_rate_mth(years)[np.clip(self.duration, 0, None)]

    # policies
    @cached_property
    def pols_if_bef_decr(self) -> np.ndarray:
        """lifelib's pols_if_at(t, "BEF_DECR"): in force after maturities and new business."""
        survival = np.where(self.in_force, (1 - self.mort_rate_mth) * (1 - self.lapse_rate_mth), 1.0)
        running = np.ones_like(survival)
        np.cumprod(survival[:, :-1], axis=1, out=running[:, 1:])
        return np.where(self.in_force, self.points.policy_count[:, None] * running, 0.0)

    @cached_property
    def pols_new_biz(self) -> np.ndarray:
        return np.where(self.duration_mth == 0, self.points.policy_count[:, None], 0.0)

    @cached_property
    def pols_death(self) -> np.ndarray:
        return self.pols_if_bef_decr * self.mort_rate_mth

    @cached_property
    def pols_lapse(self) -> np.ndarray:
        return (self.pols_if_bef_decr - self.pols_death) * self.lapse_rate_mth

    @cached_property
    def pols_if(self) -> np.ndarray:
        """lifelib's pols_if (before maturity): the policies that reach month t."""
        before = np.zeros_like(self.pols_if_bef_decr)
        before[:, 1:] = self.pols_if_bef_decr[:, :-1] - self.pols_lapse[:, :-1] - self.pols_death[:, :-1]
        already = self.points.duration_mth > 0
        before[:, 0] = np.where(already, self.points.policy_count, 0.0)
        return before

    @cached_property
    def pols_maturity(self) -> np.ndarray:
        return np.where(self.duration_mth == 12 * self.points.policy_term[:, None], self.pols_if, 0.0)

    # money
    @cached_property
    def disc_factors(self) -> np.ndarray:
        return self.disc.disc_factors(self.months)

    @cached_property
    def inflation_factor(self) -> np.ndarray:
        return self.a.inflation_factor(self.t)

    def pv(self, flows: np.ndarray) -> np.ndarray:
        return flows @ self.disc_factors

    @cached_property
    def pv_pols_if(self) -> np.ndarray:
        return self.pv(self.pols_if_bef_decr)

    @cached_property
    def premium_pp(self) -> np.ndarray:
        if self.premium_rates is not None:
            return premium_pp_from_table(self.points.sum_assured, self.premium_rates)
        return premium_pp_from_claims(self.pv_claims, self.pv_pols_if, self.a)

    @cached_property
    def claims(self) -> np.ndarray:
        return self.points.sum_assured[:, None] * self.pols_death

    @cached_property
    def premiums(self) -> np.ndarray:
        return self.premium_pp[:, None] * self.pols_if_bef_decr

    @cached_property
    def expenses(self) -> np.ndarray:
        maint = self.pols_if_bef_decr * self.a.expense_maint / 12 * self.inflation_factor
        return self.a.expense_acq * self.pols_new_biz + maint

    @cached_property
    def commissions(self) -> np.ndarray:
        return np.where(self.duration == 0, self.premiums, 0.0)

    @cached_property
    def net_cf(self) -> np.ndarray:
        return self.premiums - self.claims - self.expenses - self.commissions

    @cached_property
    def pv_claims(self) -> np.ndarray:
        return self.pv(self.claims)

    @cached_property
    def pv_premiums(self) -> np.ndarray:
        return self.pv(self.premiums)

    @cached_property
    def pv_expenses(self) -> np.ndarray:
        return self.pv(self.expenses)

    @cached_property
    def pv_commissions(self) -> np.ndarray:
        return self.pv(self.commissions)

    @cached_property
    def pv_net_cf(self) -> np.ndarray:
        return self.pv_premiums - self.pv_claims - self.pv_expenses - self.pv_commissions

    def results(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in RESULT_COLUMNS}

    def trace(self, index: int) -> list[dict[str, float]]:
        """One point's row per month: what an actuary checks against lifelib's result_cf / result_pols."""
        names = ("duration_mth", "age", "mort_rate_mth", "lapse_rate_mth", "pols_if", "pols_maturity",
                 "pols_new_biz", "pols_if_bef_decr", "pols_death", "pols_lapse", "premiums", "claims",
                 "expenses", "commissions", "net_cf")
        columns = {name: getattr(self, name)[index] for name in names}
        return [{"t": int(t), **{name: columns[name][t].item() for name in names}} for t in self.t]


@dataclass(frozen=True)
class Result:
    policy_id: np.ndarray
    columns: dict[str, np.ndarray]

    def rows(self) -> Iterator[tuple]:
        for i, pid in enumerate(self.policy_id):
            yield (pid, *(float(self.columns[name][i]) for name in RESULT_COLUMNS))


ENGINES = ("numba", "numpy")
# numba's default threading layer (workqueue) aborts the process when two threads launch parallel
# kernels at once: one projection at a time per process (each uses every CPU anyway).
_KERNEL_LOCK = threading.Lock()


def project(model: str, points: ModelPoints, mort: MortalityTable, disc: DiscountCurve,
            premiums: PremiumTable | None = None, *, assumptions: Assumptions = LIFELIB,
            engine: str = "numba", chunk_size: int = 2000) -> Result:
    """Project the whole book; per point premium_pp and the present values.

    ME: the values are for all `policy_count` policies of a point and the premium comes from the
    premium table. S: every point is one new policy and its premium is computed. `engine`
    "numba" runs the compiled loop (`kernel`); "numpy" the whole-array formulas, `chunk_size`
    points at a time so that memory stays bounded.
    """
    if model not in MODELS:
        raise ProjectionError(f"model must be one of {', '.join(MODELS)}, not {model!r}")
    if engine not in ENGINES:
        raise ProjectionError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if model == "ME" and premiums is None:
        raise ProjectionError("model ME needs a premium table")
    if model == "S":
        points = points.as_new_business()
        premiums = None
    check_points(points, mort, disc, premiums)
    if engine == "numba":
        return _project_compiled(points, mort, disc, premiums, assumptions)
    out = {name: np.empty(len(points)) for name in RESULT_COLUMNS}
    for start in range(0, len(points), chunk_size):
        chunk = points.take(slice(start, start + chunk_size))
        results = projection_for(chunk, mort, disc, premiums, assumptions).results()
        for name in RESULT_COLUMNS:
            out[name][start:start + len(chunk)] = results[name]
    return Result(points.policy_id, out)


def projection_for(points: ModelPoints, mort: MortalityTable, disc: DiscountCurve, premiums: PremiumTable | None,
                   assumptions: Assumptions = LIFELIB) -> Projection:
    """The whole-array projection of `points`, with the premium table's rates when there is one (ME)."""
    rates = premiums.lookup(points.age_at_entry, points.policy_term) if premiums is not None else None
    return Projection(points, mort, disc, premium_rates=rates, assumptions=assumptions)


def _project_compiled(points: ModelPoints, mort: MortalityTable, disc: DiscountCurve,
                      premiums: PremiumTable | None, a: Assumptions) -> Result:
    from lifecrm.value import kernel

    months = int(proj_len(points).max())
    years = np.arange(int(points.policy_term.max()) + 1)
    n = len(points)
    zeros, ints = np.zeros(n), np.zeros(n, dtype=np.int64)
    term_mth = 12 * points.policy_term
    first_year_only = (years == 0).astype(float)  # lifelib's commission: the whole premium in policy year 0
    no_age = np.full(n, np.iinfo(np.int64).max)
    ages = mort.rates.shape[0]
    with _KERNEL_LOCK:
        pv = kernel.present_values(
            points.age_at_entry, points.duration_mth, term_mth, term_mth, np.ones(n, dtype=np.int64),
            points.policy_count, ints, points.sum_assured, zeros, ints, zeros, zeros, zeros, no_age, zeros,
            np.zeros((n, 1)), np.full(n, a.expense_acq), np.full(n, a.expense_maint),
            mort.monthly[None], mort.min_age, np.zeros((1, ages)), np.zeros((1, ages)), a.lapse_rate_mth(years),
            first_year_only, disc.disc_factors(months), a.inflation_factor(np.arange(months)))
    pv_pols, pv_claims = pv[:, kernel.PV_POLS], pv[:, kernel.PV_CLAIMS]
    if premiums is not None:
        premium_pp = premium_pp_from_table(points.sum_assured, premiums.lookup(points.age_at_entry, points.policy_term))
    else:
        premium_pp = premium_pp_from_claims(pv_claims, pv_pols, a)
    pv_premiums = premium_pp * pv[:, kernel.PV_PREMIUM_POLS]
    pv_commissions = premium_pp * pv[:, kernel.PV_COMMISSION_POLS]
    pv_expenses = pv[:, kernel.PV_EXPENSES]
    columns = {"premium_pp": premium_pp, "pv_premiums": pv_premiums, "pv_claims": pv_claims,
               "pv_expenses": pv_expenses, "pv_commissions": pv_commissions,
               "pv_net_cf": pv_premiums - pv_claims - pv_expenses - pv_commissions}
    return Result(points.policy_id, columns)
