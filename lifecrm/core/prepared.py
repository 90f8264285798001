"""Prepared reads: a query the busiest pages make on every request, compiled to SQL once per database connection
and then run with each request's values.

Building a queryset and compiling it costs Django more CPU than the database spends answering an indexed read
(the customer 360 makes a dozen such reads per view). A prepared read compiles its query once with stand-in
values in place of the arguments named `values` (a customer id, a date, a scope's unit path…), finds where each
stand-in landed among the query's parameters, and from then on runs the compiled SQL with the request's own
values in those places. Everything else the builder receives (a limit, a flag, the kind of data scope) is the
query's *shape*: each shape is compiled on its own, so a builder may branch on it freely, never on a value.

    @prepared(values=("customer_id", "until"))
    def customer_events(*, customer_id, until, limit):
        return Event.objects.filter(customer_id=customer_id, at__lte=until).order_by("-at")[:limit]

    rows = customer_events(customer_id=42, until=end_of_day, limit=10)  # a list: the queryset, evaluated

A prepared read gives back the evaluated rows (a list), never a queryset to refine: refining would need a new
compilation. When a shape cannot be prepared safely (a value the query does not use as a parameter, a stand-in
written into the SQL text, a query that matches nothing) the read runs as an ordinary queryset every time,
with the same rows. Values may be int, str, date or datetime, or a type registered with
`register_placeholder` (org's data scope); None or a bool is shape.
"""
from __future__ import annotations

import copy
import functools
import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet, ValidationError
from django.db import connections
from django.db.models import QuerySet

log = logging.getLogger(__name__)

_INT_BASE = 1_987_000_000  # stand-in ids: inside a 32-bit integer column's range, far above this book's ids
_INT_STEP = 10_007  # apart, so that a builder's `id + 1` never lands on another stand-in
_TEXT_MARK = "~lifecrm_"  # a `_` in every text stand-in: a LIKE escape shows, and the escaped form is matched
_DATE_BASE = date(1901, 3, 7)

# type → func(value, mark) -> (shape, placeholder): the part of the value the SQL depends on, and the value with
# a stand-in (mark(v) -> stand-in for v) for each part that only becomes a parameter
Placeholder = Callable[[Any, Callable[[Any], Any]], tuple[Any, Any]]
_placeholders: dict[type, Placeholder] = {}


def register_placeholder(cls: type, func: Placeholder) -> None:
    _placeholders[cls] = func


class NotPrepared(Exception):
    """This shape of the query cannot run prepared; it runs as an ordinary queryset."""


class _Marks:
    """Stand-ins handed out while a query of one shape is built, each remembered with where its value comes
    from (a function of the call's keyword arguments)."""

    def __init__(self):
        self.stand_ins: list[tuple[Any, Callable[[dict], Any]]] = []
        self.required: set[int] = set()  # stand-ins the query must use: a named value (a placeholder's parts may not)

    def mark(self, value, source: Callable[[dict], Any], *, required: bool = False):
        n = len(self.stand_ins) + 1
        kind = type(value)
        if kind is int:
            stand_in = _INT_BASE + _INT_STEP * n
        elif kind is str:
            stand_in = f"{_TEXT_MARK}{n}~"
        elif kind is datetime:
            stand_in = datetime(1901, 3, 7, 1, 2, 3, n, tzinfo=UTC if value.tzinfo is not None else None)
        elif kind is date:
            stand_in = _DATE_BASE + timedelta(days=37 * n)
        else:
            raise NotPrepared(f"a value of type {kind.__name__} cannot be a parameter")
        if required:
            self.required.add(len(self.stand_ins))
        self.stand_ins.append((stand_in, source))
        return stand_in


def _split(kwargs: dict, values: frozenset[str], marks: _Marks) -> tuple[tuple, dict]:
    """(shape, arguments with stand-ins) of a call."""
    shape, placed = [], {}
    for name in sorted(kwargs):
        value = kwargs[name]
        handler = _placeholders.get(type(value))
        if name not in values or value is None or isinstance(value, bool):
            shape.append((name, value))
            placed[name] = value
        elif handler is not None:
            counter = iter(range(1 << 30))
            part_shape, placed[name] = handler(value, lambda v, _n=name, _h=handler, _c=counter: marks.mark(
                v, functools.partial(_part, _n, _h, next(_c))))
            shape.append((name, type(value), part_shape))
        else:
            placed[name] = marks.mark(value, functools.partial(_argument, name), required=True)
            # an aware and a naive datetime compile apart (the stand-in takes the value's kind)
            shape.append((name, type(value), getattr(value, "tzinfo", None) is not None))
    return tuple(shape), placed


def _argument(name: str, call: dict):
    return call[name]


def _part(name: str, handler: Placeholder, index: int, call: dict):
    """The `index`-th part a placeholder marks in the call's argument `name` (the placeholder run again on it)."""
    parts: list = []
    handler(call[name], lambda v: parts.append(v) or v)
    return parts[index]


class _Shape:
    """One compiled shape: the compiler, its SQL and, per parameter, how to make it from a call's arguments."""

    def __init__(self, queryset: QuerySet, marks: _Marks):
        self.db = queryset.db
        connection = connections[self.db]
        compiler = queryset.query.get_compiler(using=self.db)
        try:
            sql, params = compiler.as_sql()
        except (EmptyResultSet, FullResultSet) as error:
            raise NotPrepared("the query matches nothing or everything") from error
        for stand_in, _source in marks.stand_ins:
            if str(stand_in) in sql or (isinstance(stand_in, date) and stand_in.isoformat() in sql):
                raise NotPrepared("a value is written into the SQL text")
        self.sql = sql
        self.compiler = compiler
        self.prototype = queryset
        self.params: list[Callable[[dict], Any]] = []
        used = set()
        for param in params:
            maker = _param_maker(param, marks, connection)
            if maker is None:
                if _looks_like_a_stand_in(param):  # a value the builder changed on its way (`as_of - 1 day`)
                    raise NotPrepared("a parameter is made from a value, not the value itself")
                self.params.append(lambda call, _p=param: _p)
            else:
                index, make = maker
                used.add(index)
                self.params.append(make)
        if not marks.required <= used:
            raise NotPrepared("a value is not a parameter of the query")
        # what turns the database's values into Python's, per selected column: the same for every run of the shape
        # (Django works them out again on each execution, a tenth of a small read's CPU)
        self.converters: dict[tuple, dict] = {}

    def current(self) -> bool:
        """Whether this thread still uses the connection the shape was compiled on."""
        return self.compiler.connection is connections[self.db]

    def _converters(self, expressions) -> dict:
        key = tuple(map(id, expressions))  # the compiled shape's own select expressions, alive as long as it is
        found = self.converters.get(key)
        if found is None:
            found = self.converters[key] = self.compiler.get_converters(expressions)
        return found

    def run(self, call: dict) -> list:
        params = tuple(make(call) for make in self.params)
        compiler = copy.copy(self.compiler)
        compiler.as_sql = lambda *args, **kwargs: (self.sql, params)
        compiler.get_converters = self._converters
        # a new queryset over a shallow copy of the compiled query (nothing mutates it while its rows are read):
        # cloning the query as `_chain()` does costs more than the read's own rows
        query = copy.copy(self.prototype.query)
        query.get_compiler = lambda *args, **kwargs: compiler
        queryset = object.__new__(type(self.prototype))  # not copy.copy: pickling a queryset runs it
        queryset.__dict__.update(self.prototype.__dict__)
        queryset.__dict__.update(_query=query, _result_cache=None, _prefetch_done=False)
        return list(queryset)


def _looks_like_a_stand_in(param) -> bool:
    if isinstance(param, bool):
        return False
    if isinstance(param, int):
        return _INT_BASE <= param < _INT_BASE + _INT_STEP * 1000
    if isinstance(param, str):
        return "~lifecrm" in param or param.startswith("1901-")
    if isinstance(param, date):
        return param.year == 1901
    return False


def _param_maker(param, marks: _Marks, connection):
    """(index of the stand-in, func(call) -> the parameter) for a parameter holding a stand-in, else None."""
    ops = connection.ops
    for index, (stand_in, source) in enumerate(marks.stand_ins):
        if isinstance(stand_in, str):
            if param == stand_in:
                return index, source
            escaped = ops.prep_for_like_query(stand_in)
            if isinstance(param, str) and escaped in param:  # a LIKE pattern: prefix%, %part%, SQLite's iexact
                before, after = param.split(escaped, 1)
                return index, functools.partial(_like, ops, source, before, after)
            continue
        if type(param) is type(stand_in) and param == stand_in:
            return index, source
        if isinstance(stand_in, int):
            continue
        # how the backend sends a date or a datetime (SQLite: text, in UTC for an aware datetime)
        adapt = ops.adapt_datetimefield_value if isinstance(stand_in, datetime) else ops.adapt_datefield_value
        if adapt(stand_in) == param:
            return index, functools.partial(_adapted, adapt, source)
    return None


def _like(ops, source, before: str, after: str, call: dict) -> str:
    return f"{before}{ops.prep_for_like_query(source(call))}{after}"


def _adapted(adapt, source, call: dict):
    return adapt(source(call))


_local = threading.local()
MAX_SHAPES = 1000  # compiled shapes a thread keeps


def prepared(*, values: tuple[str, ...]):
    """Decorator: the builder (keyword arguments only, giving a QuerySet) becomes a prepared read giving its rows
    (a list). `values` names the arguments that are only parameters of the query; the others are its shape."""
    names = frozenset(values)

    def decorator(build: Callable[..., QuerySet]) -> Callable[..., list]:
        @functools.wraps(build)
        def run(**kwargs) -> list:
            shapes = _local.__dict__.setdefault("shapes", {})
            marks = _Marks()
            try:
                shape, placed = _split(kwargs, names, marks)
                key = (build, shape)
                found = shapes.get(key)
            except (NotPrepared, TypeError):  # a value no stand-in takes (a Decimal), a shape that is not hashable
                return list(build(**kwargs))
            if found is not None and (found is _UNPREPARED or found.current()):
                return list(build(**kwargs)) if found is _UNPREPARED else found.run(kwargs)
            try:
                try:
                    queryset = build(**placed)
                except (ValueError, TypeError, ValidationError) as error:  # e.g. a text stand-in for a number
                    raise NotPrepared(f"the stand-ins do not fit the query: {error}") from error
                found = _Shape(queryset, marks)
            except NotPrepared as why:
                log.info("prepared read %s runs unprepared for %s: %s", build.__qualname__, shape, why)
                shapes[key] = _UNPREPARED
                return list(build(**kwargs))
            if len(shapes) >= MAX_SHAPES:  # a list paged far (each offset is a shape): start again
                shapes.clear()
            shapes[key] = found
            return found.run(kwargs)

        run.unprepared = build  # the plain queryset, for tests and for callers that refine it
        return run

    return decorator


_UNPREPARED = object()
