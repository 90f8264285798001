"""The generator's step registry, the context a step sees, and the runner that feeds steps chunk by chunk.

A book-level step runs once; a per-chunk step runs once per chunk of CHUNK_SIZE customers, so a
big book is generated and written in bounded memory with one progress bar. Every step gets its
own random stream, seeded from (seed, step name, chunk index): adding a step never changes what
the other steps generate.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from django.apps import apps
from django.db import connections, models
from tqdm import tqdm

from lifecrm.core.generator.dates import days_of, utc_offset_seconds
from lifecrm.core.generator.errors import GeneratorError
from lifecrm.core.registries import Step, generator_steps

if TYPE_CHECKING:
    from lifecrm.core.generator.writers import BulkWriter

# Customers generated and written together: bounds memory, and fixes the unit each chunk's
# random streams are seeded for (changing it changes the book). Smaller chunks shorten the start
# and the end of the pipeline (generating one chunk while the writer thread writes the previous).
CHUNK_SIZE = 10_000


def generator_step(
    name: str, *, after: Sequence[str] = (), writes: Sequence[str] = (), per_chunk: bool = False
) -> Callable[[Callable[[GeneratorContext], None]], Callable[[GeneratorContext], None]]:
    """Register `func(ctx)` as the generator step `name`.

    `writes` lists the models ("app_label.Model") the step fills, parents first: `--replace`
    empties them and `book-digest` reads them. `per_chunk` steps run once per chunk of customers.
    """

    def decorator(func: Callable[[GeneratorContext], None]) -> Callable[[GeneratorContext], None]:
        func.generator_writes = tuple(writes)  # type: ignore[attr-defined]
        func.generator_per_chunk = per_chunk  # type: ignore[attr-defined]
        return generator_steps.register(name, after=list(after))(func)

    return decorator


def ordered_steps() -> list[Step]:
    return generator_steps.ordered()


_derived: list[str] = []


def register_derived(label: str) -> None:
    """A model whose rows a batch derives from the book (customer segments, policy values): replacing the book
    deletes them with it (the next run derives them again), instead of refusing because they refer to it."""
    if label not in _derived:
        _derived.append(label)


def derived_models() -> list[type[models.Model]]:
    return [apps.get_model(label) for label in _derived]


def generated_models() -> list[type[models.Model]]:
    """Every model the registered steps write, parents before children, each once."""
    result: list[type[models.Model]] = []
    for step in ordered_steps():
        for label in getattr(step.func, "generator_writes", ()):
            model = apps.get_model(label)
            if model not in result:
                result.append(model)
    return result


@dataclass(frozen=True, slots=True)
class Chunk:
    index: int
    first: int  # 0-based index of the chunk's first customer in the book
    size: int


def plan_chunks(customers: int, chunk_size: int | None = None) -> list[Chunk]:
    chunk_size = chunk_size or CHUNK_SIZE
    return [
        Chunk(i, first, min(chunk_size, customers - first))
        for i, first in enumerate(range(0, customers, chunk_size))
    ]


@dataclass
class GeneratorContext:
    """What a step sees: the arguments, its random stream, data of earlier steps, and the writer.

    `book` holds book-level data (org chart, catalogue); `data` holds the current chunk's data and
    is emptied before each chunk. Steps may read and amend columns another step wrote in the same
    chunk (`pending`) until the chunk is flushed.
    """

    seed: int
    customers: int
    as_of: date
    jurisdiction: str
    writer: BulkWriter | None = None
    book: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    chunk: Chunk | None = None
    step: str = ""
    _next_id: dict[str, int] = field(default_factory=dict)
    _pending: list[tuple[type[models.Model], dict[str, Any]]] = field(default_factory=list)

    # --- randomness
    def rng(self, purpose: str = "") -> np.random.Generator:
        """A PCG64 stream seeded from (seed, step, chunk, purpose): independent of every other step."""
        chunk = -1 if self.chunk is None else self.chunk.index
        material = f"lifecrm-seed|{self.seed}|{self.step}|{chunk}|{purpose}".encode()
        words = np.frombuffer(hashlib.sha256(material).digest(), dtype=np.uint32)
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words.tolist())))

    # --- dates
    @property
    def as_of_day(self) -> int:
        return days_of(self.as_of)

    # --- ids
    def ids(self, label: str, count: int) -> np.ndarray:
        """`count` consecutive primary keys for `label`, after those already handed out."""
        start = self._next_id.get(label, 1)
        self._next_id[label] = start + count
        return np.arange(start, start + count, dtype=np.int64)

    def id_count(self, label: str) -> int:
        return self._next_id.get(label, 1) - 1

    # --- writing
    def write(self, label: str, columns: dict[str, Any]) -> dict[str, Any]:
        """Queue rows of `label` (a dict of equally long columns) to be written when the chunk ends."""
        model = apps.get_model(label)
        self._pending.append((model, columns))
        return columns

    def pending(self, label: str) -> dict[str, Any]:
        """The columns of `label` queued in this chunk (to amend them before they are written)."""
        model = apps.get_model(label)
        for queued, columns in self._pending:
            if queued is model:
                return columns
        raise LookupError(f"no {label} rows are queued in this chunk")

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if self.writer is not None:
            for model, columns in pending:
                self.writer.insert(model, columns)


def plan_phases(steps: list[Step]) -> list[tuple[bool, list[Step]]]:
    """(per_chunk, steps) phases: book-level steps that need no chunk step first, then every per-chunk
    step in one pass over the chunks (in the registry's order), then the book-level steps left."""
    by_name = {s.name: s for s in steps}
    needs_chunks: dict[str, bool] = {}

    def after_chunks(step: Step) -> bool:
        if step.name not in needs_chunks:
            needs_chunks[step.name] = any(
                getattr(by_name[d].func, "generator_per_chunk", False) or after_chunks(by_name[d])
                for d in step.after
            )
        return needs_chunks[step.name]

    before, chunked, after = [], [], []
    for step in steps:
        if getattr(step.func, "generator_per_chunk", False):
            chunked.append(step)
        elif after_chunks(step):
            after.append(step)
        else:
            before.append(step)
    for step in chunked:
        late = [d for d in step.after if by_name[d] in after]
        if late:
            raise GeneratorError(f"per-chunk step {step.name!r} runs after book-level steps that follow chunks: {late}")
    return [(per_chunk, group) for per_chunk, group in ((False, before), (True, chunked), (False, after)) if group]


def run_steps(ctx: GeneratorContext, steps: list[Step], *, progress: bool = True) -> None:
    """Run book-level steps once and the per-chunk steps chunk by chunk (see plan_phases)."""
    phases = plan_phases(steps)
    chunks = plan_chunks(ctx.customers)
    for per_chunk, group in phases:
        if not per_chunk:
            ctx.chunk = None
            for step in group:
                ctx.step = step.name
                step.func(ctx)
            ctx.flush()
            continue

        def bar() -> tqdm:
            return tqdm(total=ctx.customers, desc="seed", unit="customer", disable=not progress, file=sys.stderr,
                        unit_scale=True)

        if (ctx.writer is not None and ctx.writer.generate_in_child and ctx.writer._thread is None
                and sys.platform == "linux" and phases[-1][1] is group):  # fork, where it is safe with threads
            ctx.book.setdefault("utc_offset", utc_offset_seconds(ctx.jurisdiction, ctx.as_of))
            _run_chunks_in_child(ctx, group, chunks, bar)
            continue
        with bar() as progress_bar:
            for chunk in chunks:
                _generate_chunk(ctx, group, chunk)
                ctx.flush()
                progress_bar.update(chunk.size)
        ctx.chunk = None
        ctx.data = {}
    ctx.step = ""


def _generate_chunk(ctx: GeneratorContext, group: list[Step], chunk: Chunk) -> None:
    """Run the per-chunk steps of `group` for one chunk; what they write waits in the context's queue."""
    ctx.chunk = chunk
    ctx.data = {}
    for step in group:
        ctx.step = step.name
        step.func(ctx)


def _refuse_queries(execute, sql, params, many, context):
    raise GeneratorError("a per-chunk generator step queried the database; read what it needs in a book-level step")


def _run_chunks_in_child(ctx: GeneratorContext, group: list[Step], chunks: list[Chunk],
                         bar: Callable[[], tqdm]) -> None:
    """Generate the chunks in a forked process while this one writes them (the last phase only).

    The child runs the very same steps on a copy of the context (so the same book), sends each
    chunk's queued columns through a pipe, and never touches the database: its inherited connection
    belongs to this process, and any query through Django raises. One chunk is in flight at a time.
    """
    receiver, sender = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: generate, send, and leave without running any exit handler
        code = 1
        try:
            receiver.close()
            for alias in connections:
                connections[alias].execute_wrappers.append(_refuse_queries)
            for chunk in chunks:
                _generate_chunk(ctx, group, chunk)
                pending, ctx._pending = ctx._pending, []
                sender.send_bytes(pickle.dumps(
                    ("chunk", chunk.size, [(model._meta.label, columns) for model, columns in pending]), protocol=5))
            sender.send_bytes(pickle.dumps(("done", ctx._next_id), protocol=5))
            code = 0
        except BaseException as exc:  # noqa: BLE001  reported to the parent, which raises it
            try:
                sender.send_bytes(pickle.dumps(("error", exc), protocol=5))
            except Exception:  # noqa: BLE001  an exception that does not pickle: its text
                sender.send_bytes(pickle.dumps(("error", GeneratorError(f"{type(exc).__name__}: {exc}"))))
        finally:
            os._exit(code)
    sender.close()
    finished = False
    try:
        with bar() as progress_bar:
            while not finished:
                try:
                    message = pickle.loads(receiver.recv_bytes())  # noqa: S301  our own child
                except EOFError:
                    raise GeneratorError("the process generating the book ended unexpectedly") from None
                if message[0] == "error":
                    message[1].add_note("(raised in the process generating the book's chunks)")
                    raise message[1]
                if message[0] == "done":
                    ctx._next_id.update(message[1])
                    finished = True
                    continue
                _, size, items = message
                for label, columns in items:
                    ctx.writer.insert(apps.get_model(label), columns)
                progress_bar.update(size)
    finally:
        receiver.close()
        if not finished:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(pid, 0)
        ctx.chunk = None
        ctx.data = {}
