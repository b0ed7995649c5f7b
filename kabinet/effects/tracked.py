"""Effects applied together with their tracking rows, over any store that keeps both.

`TrackedEffects` is the one consumer-side algorithm: which events of a batch are new
(after the tracking row and the noted skips), which batches hold nothing for it (noted,
written later in one go), and how a conflict is met (the rows are read again and the
batch is applied again). A `TrackingStore` says how one kind of store writes effects and
rows in one transaction: an event-sourced application (`application.py`) or read-model
tables (`projection.py`). A batch is applied in one transaction with one tracking row per
upstream (its last position): decisions 3, 22, 23 and 39.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from contracts.envelope import Envelope
from kabinet import context
from kabinet.domain import KabinetError
from kabinet.effects.progress import Progress, Skips
from kabinet.retry import ATTEMPTS, retrying

log = structlog.get_logger("kabinet.effects")

# An event's handler, called with what the store gives it (a unit of work, a cursor).
Handlers = Mapping[str, Callable[[Any, Any], Any]]


@dataclass(frozen=True)
class Rejection:
    event: Envelope
    reason: str


@dataclass(frozen=True)
class Todo:
    """Events of one upstream to apply, and its tracking row as last seen."""

    upstream: str
    row: int
    events: Sequence[Envelope]

    @property
    def position(self) -> int:
        return self.events[-1].position


class Stale(Exception):
    """Another writer moved a tracking row (or changed an aggregate) first."""


class Effects(Protocol):
    """A sink for one consumer's effects, keyed by upstream (`<producer>:<partition>`)."""

    progress: Progress
    skips: Skips

    def position(self, upstream: str) -> int: ...

    def flush(self, *upstreams: str) -> None:
        """Write the tracking rows of skipped batches now, in one transaction."""
        ...

    def apply(self, upstream: str, events: Sequence[Envelope]) -> list[Rejection]: ...

    def apply_all(self, batches: Mapping[str, Sequence[Envelope]]) -> list[Rejection]:
        """Batches of several upstreams (partitions), in one transaction where it can."""
        ...


class TrackingStore(Protocol):
    """What a store offers `TrackedEffects`: one tracking row per upstream, written in the
    transaction of the effects it tracks."""

    @property
    def compares(self) -> bool:
        """Rows move by compare-and-set: a row read or written may be kept in memory, and
        batches of several upstreams may commit together."""
        ...

    @property
    def conflict_pause(self) -> float:
        """Seconds to let a competing writer finish before a batch is tried again."""
        ...

    def tracked(self, upstream: str) -> int:
        """The tracking row of `upstream` as stored (0: none yet)."""
        ...

    def track_skipped(self, due: Mapping[str, int], row: Callable[[str], int]) -> Mapping[str, int]:
        """Move each upstream's row up to its position in `due`, in one write (`row` gives
        a row as last seen); the rows it knows now (any other is read again later)."""
        ...

    def commit(self, todos: Sequence[Todo], handlers: Handlers) -> list[Rejection] | None:
        """Run the handlers of every todo and move each row from `Todo.row` to
        `Todo.position`, in one transaction; None if the handlers changed nothing (then
        nothing is written). Raises `Stale` if a row or an aggregate moved meanwhile."""
        ...


def _bind(event: Envelope) -> None:
    context.bind(event.correlation_id or None, causation=str(event.event_id))


def run_handlers(
    handlers: Handlers,
    target: Any,
    todo: Sequence[Envelope],
    committed: list[Callable[[], None]] | None = None,
) -> list[Rejection]:
    """Each event's handler, called with `target` (a unit of work or a cursor); a refusal
    becomes a rejection and the others go on. What a handler returns (a projection's
    handler may return an action) is added to `committed`, to run after the commit."""
    rejections: list[Rejection] = []
    for event in todo:
        handler = handlers.get(event.type)
        if handler is None:
            continue
        _bind(event)
        try:
            action = handler(target, event)
        except KabinetError as exc:
            rejections.append(Rejection(event, exc.message))
            continue
        if action is not None and committed is not None:
            committed.append(action)
    return rejections


class TrackedEffects:
    """A consumer's effects over a `TrackingStore`, with the tracking rows as it last saw
    them kept in memory where the store moves them by compare-and-set (a batch saved by
    another writer meanwhile makes the commit fail, and the row is read again). A batch
    whose handlers changed nothing is noted as skipped (written later, with others)
    instead of committing a tracking row alone."""

    def __init__(self, tracking: TrackingStore, handlers: Handlers) -> None:
        self.tracking = tracking
        self.handlers = handlers
        self.progress = Progress()
        self.skips = Skips()
        self._tracked: dict[str, int] = {}  # the row as this object last saw it

    def _row(self, upstream: str) -> int:
        found = self._tracked.get(upstream)
        if found is None:
            found = self.tracking.tracked(upstream)
            if self.tracking.compares:
                self._tracked[upstream] = found
        return found

    def position(self, upstream: str) -> int:
        self._tracked.pop(upstream, None)  # asked from outside: read the row afresh
        return max(self._row(upstream), self.skips.position(upstream))

    def flush(self, *upstreams: str) -> None:
        """Every skipped row in one write; the rows are then known without reading them
        again, except one found moved by another writer."""
        due = {u: p for u in upstreams if (p := self.skips.position(u))}
        known = self.tracking.track_skipped(due, self._row) if due else {}
        for upstream in upstreams:
            if (row := known.get(upstream)) is not None and self.tracking.compares:
                self._tracked[upstream] = row
            else:
                self._tracked.pop(upstream, None)
            self.skips.clear(upstream)

    def apply(self, upstream: str, events: Sequence[Envelope]) -> list[Rejection]:
        """One upstream's batch; a conflict (another writer changed what it touches, or
        applied the batch) reads the row again and applies what is still new."""
        if self.skips.skipped(self.handlers, upstream, events):  # no position read needed
            return []
        return retrying(
            lambda: self._apply_together({upstream: events}),
            busy=f"could not apply batch from {upstream} after {ATTEMPTS} attempts",
            conflicts=(Stale,),
            pause=self.tracking.conflict_pause,
            on_conflict=lambda: log.info("effects_conflict_retry", upstream=upstream),
            error=RuntimeError,
        )

    def apply_all(self, batches: Mapping[str, Sequence[Envelope]]) -> list[Rejection]:
        """Every upstream's batch in one transaction, each row moved by compare-and-set;
        after a conflict (or where rows do not compare), each batch on its own."""
        if len(batches) > 1 and self.tracking.compares:
            try:
                return self._apply_together(batches)
            except Stale:
                log.info("effects_conflict_retry", upstreams=len(batches))
        return [r for u, events in batches.items() for r in self.apply(u, events)]

    def _apply_together(self, batches: Mapping[str, Sequence[Envelope]]) -> list[Rejection]:
        todos: list[Todo] = []
        for upstream, events in batches.items():
            row = self._row(upstream)
            done = max(row, self.skips.position(upstream))
            new = [e for e in events if e.position > done]
            if new and not self.skips.skipped(self.handlers, upstream, new):
                todos.append(Todo(upstream, row, new))
        if not todos:
            return []
        try:
            rejections = self.tracking.commit(todos, self.handlers)
        except Stale:
            for todo in todos:
                self._tracked.pop(todo.upstream, None)
            raise
        for todo in todos:
            if rejections is None:  # nothing changed: track it later, with the skips
                self.skips.note(todo.upstream, todo.position)
            else:
                if self.tracking.compares:
                    self._tracked[todo.upstream] = todo.position
                self.skips.clear(todo.upstream)
        return rejections or []


async def wait_for_position(effects: Effects, upstream: str, position: int, timeout: float) -> bool:
    """Wait (bounded) until `effects` has applied `upstream` up to `position`.

    A partition this process consumes is waited on in memory: the read wakes as soon as
    the consumer commits past `position`. For a partition another replica owns, the
    tracking row in PostgreSQL is checked, with growing pauses.
    """
    progress = effects.progress
    deadline = time.monotonic() + timeout
    delay = 0.005
    while not progress.reached(upstream, position):
        if progress.owns(upstream):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await progress.moved(upstream, remaining)
            continue
        if await asyncio.to_thread(effects.position, upstream) >= position:
            progress.advance(upstream, position)
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        await progress.moved(upstream, min(delay, remaining))
        delay = min(delay * 2, 0.1)
    return True
