"""Registries through which higher apps plug into lower ones: daily, generator and demo steps, timeline and work
sources.

Each app registers in its AppConfig.ready(); core never imports a higher app.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.utils import timezone


@dataclass(frozen=True)
class Step:
    """A named step with the steps it must run after."""

    name: str
    func: Callable[..., Any]
    after: tuple[str, ...] = ()
    description: str = ""
    before: tuple[str, ...] = ()


class StepRegistry:
    """Steps ordered by their `after` and `before` constraints (a stable topological order).

    `before` is `after` declared by the other side: a step of a higher app names a lower app's step it must
    precede (a step that records messages names the outbox's send), which the lower app cannot name."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._steps: dict[str, Step] = {}

    def register(self, name: str, *, after: tuple[str, ...] | list[str] = (),
                 before: tuple[str, ...] | list[str] = (), description: str = ""):
        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            existing = self._steps.get(name)
            if existing is not None and existing.func is not func:
                raise ValueError(f"{self.kind} step {name!r} is registered twice")
            self._steps[name] = Step(name, func, tuple(after), description or (func.__doc__ or "").strip(),
                                     tuple(before))
            return func

        return decorator

    def dependencies(self) -> dict[str, tuple[str, ...]]:
        """Each step's name → the steps it runs after: its own `after` and the steps that declared `before` it."""
        for step in self._steps.values():
            for dependency, relation in [(d, "after") for d in step.after] + [(d, "before") for d in step.before]:
                if dependency not in self._steps:
                    raise LookupError(f"{self.kind} step {step.name!r} runs {relation} unknown step {dependency!r}")
        found = {name: list(step.after) for name, step in self._steps.items()}
        for step in self._steps.values():
            for later in step.before:
                if step.name not in found[later]:
                    found[later].append(step.name)
        return {name: tuple(after) for name, after in found.items()}

    def ordered(self) -> list[Step]:
        """The steps, each after every step it depends on (`dependencies`), by name among those ready."""
        dependencies = self.dependencies()
        done: list[Step] = []
        placed: set[str] = set()
        pending = sorted(self._steps.values(), key=lambda s: s.name)
        while pending:
            ready = [s for s in pending if set(dependencies[s.name]) <= placed]
            if not ready:
                raise ValueError(f"{self.kind} steps have a cycle: {[s.name for s in pending]}")
            step = ready[0]
            done.append(step)
            placed.add(step.name)
            pending.remove(step)
        return done

    def names(self) -> list[str]:
        return [s.name for s in self.ordered()]

    def waves(self) -> list[list[Step]]:
        """The steps in waves, in `ordered` order within each: a step's wave is one after the last of its
        dependencies' (the first wave: the steps with none). No path of `after` joins two steps of a wave,
        so they may run at the same time: a step that reads what another step writes must say `after` it (or the
        writer `before` the reader)."""
        dependencies = self.dependencies()
        level: dict[str, int] = {}
        waves: list[list[Step]] = []
        for step in self.ordered():
            level[step.name] = 1 + max((level[name] for name in dependencies[step.name]), default=-1)
            if level[step.name] == len(waves):
                waves.append([])
            waves[level[step.name]].append(step)
        return waves


daily_steps = StepRegistry("daily")
generator_steps = StepRegistry("generator")
# What `demo-setup` adds to a new demo book after its first daily batch: `func(*, as_of) -> lines to print`.
demo_steps = StepRegistry("demo")


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line on a customer's timeline."""

    at: datetime | date
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    source: str = ""
    sort_key: tuple = field(default=(), compare=False)


TimelineSource = Callable[..., list[TimelineEntry]]
TimelineCount = Callable[..., int]
_timeline_sources: dict[str, TimelineSource] = {}
_timeline_counts: dict[str, TimelineCount] = {}
_timeline_kinds: dict[str, str] = {}  # source name → the kind of its entries
_timeline_kind_labels: dict[str, Any] = {}  # kind → what the timeline's filter calls it


def register_timeline_source(name: str, *, kind: str = "", label: Any = ""):
    """Register `func(*, scope, customer_id, as_of, limit) -> list[TimelineEntry]`: the customer's newest `limit`
    entries up to `as_of`, newest first. `kind` is the kind of all its entries (`TimelineEntry.kind`): the
    timeline is filtered by kind by asking only the sources of that kind; `label` is the filter's name for it (a
    lazy translation). A source without a kind is on the whole timeline only."""

    def decorator(func: TimelineSource) -> TimelineSource:
        _timeline_sources[name] = func
        if kind:
            _timeline_kinds[name] = kind
            _timeline_kind_labels.setdefault(kind, label or kind)
        return func

    return decorator


def register_timeline_count(name: str):
    """Register `func(*, scope, customer_id, as_of) -> int`: how many entries the source `name` has for the
    customer up to `as_of`, so a page of the timeline states its true length."""

    def decorator(func: TimelineCount) -> TimelineCount:
        _timeline_counts[name] = func
        return func

    return decorator


def timeline_sources(kind: str | None = None) -> dict[str, TimelineSource]:
    """Every source, or those whose entries are of `kind`."""
    return {name: func for name, func in _timeline_sources.items()
            if kind is None or _timeline_kinds.get(name) == kind}


def timeline_counts(kind: str | None = None) -> dict[str, TimelineCount]:
    return {name: func for name, func in _timeline_counts.items()
            if kind is None or _timeline_kinds.get(name) == kind}


def timeline_kinds() -> dict[str, Any]:
    """The kinds the timeline can be filtered by, in the order their sources registered, with their labels."""
    return dict(_timeline_kind_labels)


def as_datetime_key(value: datetime | date) -> tuple:
    """Sort key mixing dates and datetimes: a date sorts at the start of its (local) day.

    An aware datetime is first put in the current time zone: the database gives back UTC, and
    01:00 in Shanghai on 2 January (17:00 UTC on the 1st) belongs to 2 January's business dates.
    """
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return (value.date(), value.time().isoformat())
    return (value, "")


def merge_timeline(sources: dict[str, TimelineSource], *, as_of: date, **kwargs) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for func in sources.values():
        entries.extend(func(as_of=as_of, **kwargs))
    return sorted(entries, key=lambda e: as_datetime_key(e.at), reverse=True)


@dataclass(frozen=True)
class TimelinePage:
    """Entries `offset` to `offset + len(entries)` of a customer's merged timeline, newest first, and its length."""

    entries: list[TimelineEntry]
    total: int


def timeline_page(sources: dict[str, TimelineSource], counts: dict[str, TimelineCount], *, as_of: date,
                  offset: int, limit: int, **kwargs) -> TimelinePage:
    """One page of the merged timeline. No entry of a source older than its `offset + limit` newest can be on
    the page, so each source is asked for that many; a source that gives fewer has no more and needs no count,
    others are counted: a fixed number of queries per source whatever the customer's history."""
    missing = sorted(set(sources) - set(counts))
    if missing:
        raise LookupError(f"timeline sources without a count: {', '.join(missing)}")
    wanted = offset + limit
    entries: list[TimelineEntry] = []
    total = 0
    for name, func in sources.items():
        found = func(as_of=as_of, limit=wanted, **kwargs)
        entries.extend(found)
        total += len(found) if len(found) < wanted else counts[name](as_of=as_of, **kwargs)
    merged = sorted(entries, key=lambda e: as_datetime_key(e.at), reverse=True)
    return TimelinePage(entries=merged[offset:wanted], total=total)


# -- copies of an org unit's materialised path ----------------------------------------------------------------
# Rows booked on an org unit keep a copy of its path (`branch_path` of customers and policies: a data scope is one
# indexed prefix match). Each app that keeps such a copy registers a rewrite, and `org.services.org_unit_move`
# calls them all in its transaction: `func(*, old_prefix, new_prefix, chunk_size) -> rows rewritten`.
PathRewrite = Callable[..., int]
_path_copies: dict[str, PathRewrite] = {}


def _named(registry: dict[str, Callable], kind: str, name: str):
    """A decorator that registers its function under `name` in `registry`; a second function of that name is an
    error (the same function again, e.g. a module imported twice, is not)."""
    def decorator(func: Callable) -> Callable:
        existing = registry.get(name)
        if existing is not None and existing is not func:
            raise ValueError(f"{kind} {name!r} is registered twice")
        registry[name] = func
        return func

    return decorator


def register_path_copy(name: str):
    return _named(_path_copies, "path copy", name)


def path_copies() -> dict[str, PathRewrite]:
    return dict(_path_copies)


def rewrite_path_prefix(model, field: str, *, old_prefix: str, new_prefix: str, chunk_size: int = 2000) -> int:
    """Replace `old_prefix` by `new_prefix` at the start of `field` in every row of `model` that has it, in chunks
    of `chunk_size` rows by primary key (one UPDATE each: no row is loaded). Inside the caller's transaction."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Concat, Substr

    if not old_prefix or not new_prefix:
        raise ValueError("a path prefix is never empty")
    rewritten, last = 0, None
    matching = model.objects.filter(**{f"{field}__startswith": old_prefix}).order_by("pk")
    while True:
        chunk = matching if last is None else matching.filter(pk__gt=last)
        ids = list(chunk.values_list("pk", flat=True)[:chunk_size])
        if not ids:
            return rewritten
        rewritten += model.objects.filter(pk__in=ids).update(**{field: Concat(
            Value(new_prefix), Substr(field, len(old_prefix) + 1), output_field=CharField())})
        last = ids[-1]


# A customer's tier or life-cycle stage changed (`parties.services.segments_record`): what follows from it in
# higher apps (billing restarts the reminder ladder of the payer's open premiums, as they may be entitled to
# another). Each registers a listener, called in the change's transaction with the customers whose segment
# changed: `func(*, customer_ids, as_of) -> None`.
SegmentListener = Callable[..., None]
_segment_listeners: dict[str, SegmentListener] = {}


def register_segment_listener(name: str):
    return _named(_segment_listeners, "segment listener", name)


def segment_listeners() -> dict[str, SegmentListener]:
    return dict(_segment_listeners)


# A customer withdrew a consent (`parties.services.consent_record` with granted=False): what follows from it in
# higher apps (the service desk cancels the care tasks that needed it). Each registers a listener, called in the
# withdrawal's transaction: `func(*, actor, customer_id, purpose, at) -> None`.
ConsentListener = Callable[..., None]
_consent_listeners: dict[str, ConsentListener] = {}


def register_consent_listener(name: str):
    return _named(_consent_listeners, "consent listener", name)


def consent_listeners() -> dict[str, ConsentListener]:
    return dict(_consent_listeners)



# A served thing closed: a servicing request executed or rejected, a claim decided, … (each app announces its own
# with `served_closed_announce`). What follows in sibling apps that may not import the announcing one (the service
# desk sends its CSAT survey, within its per-customer rate limit) registers a listener `func(event: ServedClosed)
# -> None`, called after the announcing transaction commits (a rolled-back closing announces nothing), each on its
# own: a listener's failure is logged and neither undoes the closing nor stops the other listeners.
@dataclass(frozen=True)
class ServedClosed:
    """What closed (`kind` such as "servicing.request" or "claims.claim", its primary key `id`, the reference the
    customer knows it by, `label`), for which customer, who served (`staff`, a Staff or None), where it was served
    (`unit`, an OrgUnit: when nobody is named), and when (`at`)."""

    kind: str
    id: int
    label: str
    customer: Any
    staff: Any
    unit: Any
    at: datetime

    @classmethod
    def now(cls, kind: str, row: Any, *, label: str, customer: Any, staff: Any, unit: Any) -> ServedClosed:
        """`row` (a model instance: its primary key) closed at this instant."""
        return cls(kind=kind, id=row.pk, label=label, customer=customer, staff=staff, unit=unit, at=timezone.now())


ServedClosedListener = Callable[[ServedClosed], None]
_served_closed_listeners: dict[str, ServedClosedListener] = {}


def register_served_closed_listener(name: str):
    return _named(_served_closed_listeners, "served-closed listener", name)


def served_closed_listeners() -> dict[str, ServedClosedListener]:
    return dict(_served_closed_listeners)


def served_closed_announce(event: ServedClosed) -> None:
    """Call every listener with `event` once the caller's transaction commits (at once outside a transaction)."""
    from django.db import transaction

    for listener in served_closed_listeners().values():
        transaction.on_commit(lambda listener=listener: listener(event), robust=True)

# -- work sources: what is open for a staff member --------------------------------------------------------------
# Each app registers what an actor has to do (renewal calls, policies in grace, cases, later servicing requests and
# claims) with its deadline and priority; each role's home page asks every source and merges them.

@dataclass(frozen=True, slots=True)
class WorkItem:
    """One piece of open work: what, for whom, by when (a date, or a datetime for the clock-driven), how urgent
    (`priority`, lower is more urgent: 1 urgent, 2 high, 3 normal, 4 low) and where to do it (`url`)."""

    kind: str
    title: str
    detail: str = ""
    url: str = ""
    deadline: datetime | date | None = None
    priority: int = 3
    customer_name: str = ""
    customer_number: str = ""
    source: str = ""
    overdue: bool = field(default=False, compare=False)  # set by `work_page` from its `as_of`/`at`


WorkSource = Callable[..., list[WorkItem]]
WorkCount = Callable[..., int]
_work_sources: dict[str, WorkSource] = {}
_work_counts: dict[str, WorkCount] = {}


def register_work_source(name: str):
    """Register `func(*, scope, staff, as_of, at, limit, overdue=False) -> list[WorkItem]`: the actor's open work,
    the `limit` earliest deadlines first (then the most urgent), at most `limit` items; with `overdue`, only the
    work past its deadline (a date before `as_of`, a datetime before `at`). A source whose work is not the actor's
    role's returns [] without a query."""
    return _named(_work_sources, "work source", name)


def register_work_count(name: str):
    """Register `func(*, scope, staff, as_of, at, overdue=False) -> int`: how many items the source `name` has for
    the actor (all of them, or only the overdue), so a page states the true length of a cut list."""
    return _named(_work_counts, "work count", name)


def work_sources() -> dict[str, WorkSource]:
    return dict(_work_sources)


def work_counts() -> dict[str, WorkCount]:
    return dict(_work_counts)


def is_overdue(deadline: datetime | date | None, *, as_of: date, at: datetime) -> bool:
    """Past its deadline: a date before the business date `as_of`, a datetime before the instant `at`."""
    if deadline is None:
        return False
    if isinstance(deadline, datetime):
        return deadline < at
    return deadline < as_of


def work_sort_key(item: WorkItem) -> tuple:
    """The earliest deadline first (no deadline last), then the most urgent, then by title."""
    if item.deadline is None:
        return (1, (), item.priority, item.title)
    return (0, as_datetime_key(item.deadline), item.priority, item.title)


@dataclass(frozen=True)
class WorkPage:
    """The first `limit` items of an actor's merged work, and how many there are in all."""

    items: list[WorkItem]
    total: int

    @property
    def cut(self) -> bool:
        return self.total > len(self.items)


def work_page(sources: dict[str, WorkSource], counts: dict[str, WorkCount], *, scope, staff, as_of: date,
              at: datetime, limit: int, overdue: bool = False) -> WorkPage:
    """The actor's work from `sources`, merged by deadline then priority, the first `limit`, each marked overdue
    or not. Each source gives at most `limit` (its earliest): a source that gives fewer has no more and needs no
    count, others are counted: a fixed number of queries per source, whatever the amount of work."""
    entries: list[WorkItem] = []
    total = 0
    for name, func in sources.items():
        found = func(scope=scope, staff=staff, as_of=as_of, at=at, limit=limit, overdue=overdue)
        entries.extend(found)
        if len(found) < limit:
            total += len(found)
        elif name in counts:
            total += counts[name](scope=scope, staff=staff, as_of=as_of, at=at, overdue=overdue)
        else:
            raise LookupError(f"work source {name!r} has no count")
    merged = sorted(entries, key=work_sort_key)[:limit]
    items = [replace(item, overdue=is_overdue(item.deadline, as_of=as_of, at=at)) for item in merged]
    return WorkPage(items=items, total=total)
