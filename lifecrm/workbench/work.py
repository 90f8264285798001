"""What each role's home page shows: its work from every app's work source, merged by deadline then priority, and
the managers' figures (a branch's, or head office's by branch). Assembled here so the templates run no queries.

Every source decides what is the actor's work (a role with none gives nothing, without a query), so the home page
asks them all: a call-centre agent gets their calls and cases, a sales agent their renewals, policies in grace and
customers at risk, a counter clerk their cases; a manager sees the overdue work of their branch.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lifecrm.billing.selectors import DayReceipts, collection_figures, receipts_of_the_day
from lifecrm.core.registries import WorkPage, work_counts, work_page, work_sources
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.rules import Action, DataScope, ScopeKind, allows
from lifecrm.org.selectors import units_in_scope
from lifecrm.service.selectors import case_figures

HOME_LIMIT = 8
"""At most this many items of work (and receipts) on a home page; the full list has the rest."""
FULL_LIMIT = 200
"""At most this many on the full work list (the earliest deadlines first)."""


@dataclass(frozen=True)
class Figures:
    """A unit's figures on a manager's dashboard."""

    unit: OrgUnit
    open_cases: int
    overdue: int  # overdue cases and renewal calls
    tasks_open: int
    in_grace: int
    receipts: int


@dataclass(frozen=True)
class Home:
    work: WorkPage | None  # the actor's work; a manager's: the overdue work of the scope; HQ: none
    overdue_only: bool
    receipts: DayReceipts | None  # a counter clerk's receipts of the day
    figures: list[Figures]  # a branch manager's one unit, or HQ's branches
    totals: Figures | None  # HQ: the company's


def is_manager(scope: DataScope) -> bool:
    return allows(scope, Action.SUPERVISE_CASES) or allows(scope, Action.SUPERVISE_TASKS)


def actor_work(*, scope: DataScope, staff: Staff, as_of: date, at: datetime, limit: int,
               overdue: bool = False) -> WorkPage:
    """The actor's work from every registered source: at most two queries per source."""
    return work_page(work_sources(), work_counts(), scope=scope, staff=staff, as_of=as_of, at=at, limit=limit,
                     overdue=overdue)


def figures(*, scope: DataScope, units: list[OrgUnit], as_of: date, at: datetime) -> list[Figures]:
    """Each unit's figures: four queries, whatever the number of units."""
    prefixes = [u.path for u in units]
    cases = case_figures(scope=scope, prefixes=prefixes, at=at)
    money = collection_figures(scope=scope, prefixes=prefixes, as_of=as_of)
    return [Figures(unit=u, open_cases=cases[u.path].open, overdue=cases[u.path].overdue + money[u.path].tasks_overdue,
                    tasks_open=money[u.path].tasks_open, in_grace=money[u.path].in_grace,
                    receipts=money[u.path].receipts) for u in units]


def _total(rows: list[Figures], unit: OrgUnit) -> Figures:
    return Figures(unit=unit, **{name: sum(getattr(r, name) for r in rows)
                                 for name in ("open_cases", "overdue", "tasks_open", "in_grace", "receipts")})


def home(*, scope: DataScope, staff: Staff, as_of: date, at: datetime) -> Home:
    """What the actor's home page shows under the search box (a fixed number of queries per role)."""
    if scope.kind == ScopeKind.ALL and is_manager(scope):
        branches = list(units_in_scope(scope).filter(kind=OrgUnit.Kind.BRANCH).order_by("path"))
        rows = figures(scope=scope, units=branches, as_of=as_of, at=at)
        return Home(work=None, overdue_only=False, receipts=None, figures=rows, totals=_total(rows, staff.org_unit))
    if is_manager(scope):
        rows = figures(scope=scope, units=[staff.org_unit], as_of=as_of, at=at)
        work = actor_work(scope=scope, staff=staff, as_of=as_of, at=at, limit=HOME_LIMIT, overdue=True)
        return Home(work=work, overdue_only=True, receipts=None, figures=rows, totals=None)
    receipts = None
    if allows(scope, Action.TAKE_PAYMENT):
        receipts = receipts_of_the_day(scope=scope, unit_path=staff.org_unit.path, on=as_of, limit=HOME_LIMIT)
    work = actor_work(scope=scope, staff=staff, as_of=as_of, at=at, limit=HOME_LIMIT)
    return Home(work=work, overdue_only=False, receipts=receipts, figures=[], totals=None)
