"""Where a consumer's effects go — always together with the tracking row, in one transaction.

Two kinds: `ApplicationEffects` saves aggregates of an event-sourced application
(eventsourcing's process recorder keeps the tracking row); `ProjectionEffects` writes
read-model tables and its own tracking row through one psycopg transaction.
A batch is applied in one transaction with one tracking row (its last position).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Tracking
from psycopg import Cursor
from psycopg.rows import DictRow

from contracts.envelope import Envelope
from kabinet import context
from kabinet.domain import KabinetError
from kabinet.eventstore import KabinetApplication, lock_ddl
from kabinet.retry import ATTEMPTS, retrying

log = structlog.get_logger("kabinet.effects")


@dataclass(frozen=True)
class Rejection:
    event: Envelope
    reason: str


class Progress:
    """Positions this process saw committed, per upstream; waiters wake as they move.

    The consumer that owns an upstream's partition advances it after each commit, so a
    read waiting on a consistency token in the same process wakes at once instead of
    polling PostgreSQL. Used from the event loop only.
    """

    def __init__(self) -> None:
        self._known: dict[str, int] = {}
        self._moved: dict[str, asyncio.Event] = {}
        self._owned: set[str] = set()

    def own(self, upstream: str) -> None:
        """A consumer of this process applies `upstream`: its progress is known here."""
        self._owned.add(upstream)

    def release(self, upstream: str) -> None:
        self._owned.discard(upstream)

    def owns(self, upstream: str) -> bool:
        return upstream in self._owned

    def reached(self, upstream: str, position: int) -> bool:
        return self._known.get(upstream, 0) >= position

    def advance(self, upstream: str, position: int) -> None:
        if position > self._known.get(upstream, 0):
            self._known[upstream] = position
            moved = self._moved.pop(upstream, None)
            if moved is not None:
                moved.set()

    async def moved(self, upstream: str, timeout: float) -> None:
        """Return when `upstream` advances, or after `timeout` seconds."""
        moved = self._moved.setdefault(upstream, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await moved.wait()


class Skips:
    """Positions of batches that held nothing for a consumer (no handler for any event).

    They are kept in memory and written to the tracking table later, in one write, instead
    of one transaction per batch: a consumer interested in few of a producer's event types
    would otherwise commit a tracking row for every batch of the others. Losing them in a
    crash costs only the redelivery of events that are skipped again.
    """

    def __init__(self) -> None:
        self._pending: dict[str, tuple[int, float]] = {}

    def note(self, upstream: str, position: int) -> None:
        before, since = self._pending.get(upstream, (0, time.monotonic()))
        self._pending[upstream] = (max(position, before), since)

    def skipped(
        self, handlers: Mapping[str, Any], upstream: str, events: Sequence[Envelope]
    ) -> bool:
        """Note `events` as skipped if none of them has a handler; whether they were."""
        if not events or any(event.type in handlers for event in events):
            return False
        self.note(upstream, events[-1].position)
        return True

    def position(self, upstream: str) -> int:
        return self._pending.get(upstream, (0, 0.0))[0]

    def age(self, upstream: str) -> float | None:
        """Seconds since the oldest unwritten skip, or None if there is none."""
        found = self._pending.get(upstream)
        return None if found is None else time.monotonic() - found[1]

    def clear(self, upstream: str) -> None:
        self._pending.pop(upstream, None)


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


class UnitOfWork:
    """Aggregates loaded and changed while one batch is applied; saved together."""

    def __init__(self, app: KabinetApplication) -> None:
        self.app = app
        self._changed: dict[UUID, Aggregate] = {}

    def get(self, aggregate_id: UUID) -> Any:
        if aggregate_id in self._changed:
            return self._changed[aggregate_id]
        return self.app.repository.get(aggregate_id)

    def find(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def peek(self, aggregate_id: UUID) -> Any | None:
        """To look at, not to change: from the trusted cache without a copy where it can
        (see `KabinetApplication.peek`), else as `find`. Change what `get`/`find` give."""
        if aggregate_id in self._changed:
            return self._changed[aggregate_id]
        found = self.app.peek(aggregate_id)
        return found if found is not None else self.find(aggregate_id)

    def add(self, aggregate: Aggregate) -> None:
        self._changed[aggregate.id] = aggregate

    @property
    def aggregates(self) -> list[Aggregate]:
        return list(self._changed.values())


def _exhausted(upstream: str) -> str:
    return f"could not apply batch from {upstream} after {ATTEMPTS} attempts"


def _bind(event: Envelope) -> None:
    context.bind(event.correlation_id or None, causation=str(event.event_id))


def _todo(
    row: int,
    skips: Skips,
    handlers: Mapping[str, Any],
    upstream: str,
    events: Sequence[Envelope],
) -> list[Envelope]:
    """The events after the tracking row and the noted skips; none if nothing of them has
    a handler (they are then noted as skipped)."""
    done = max(row, skips.position(upstream))
    todo = [e for e in events if e.position > done]
    return [] if not todo or skips.skipped(handlers, upstream, todo) else todo


def _run_handlers(
    handlers: Mapping[str, Callable[[Any, Any], Any]],
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


class ApplicationEffects:
    """Effects that are events of an event-sourced application.

    The tracking row is kept in memory between batches where the recorder moves it by
    compare-and-set (PostgreSQL): a batch saved by another writer meanwhile makes the save
    fail, and the row is read again. A batch whose handlers changed nothing is noted as
    skipped (written later, with others) instead of committing a tracking row alone.
    """

    def __init__(
        self,
        app: KabinetApplication,
        handlers: Mapping[str, Callable[[UnitOfWork, Any], None]],
    ) -> None:
        self.app = app
        self.handlers = handlers
        self.progress = Progress()
        self.skips = Skips()
        self._tracked: dict[str, int] = {}  # the row as this object last saw it

    def _row(self, upstream: str) -> int:
        found = self._tracked.get(upstream)
        if found is None:
            found = self.app.tracked_position(upstream)
            if self.app.compares_tracking:
                self._tracked[upstream] = found
        return found

    def position(self, upstream: str) -> int:
        self._tracked.pop(upstream, None)  # asked from outside: read the row afresh
        return max(self._row(upstream), self.skips.position(upstream))

    def flush(self, *upstreams: str) -> None:
        """Each row moved by compare-and-set from where this object saw it, all in one save;
        the rows are then known without reading them again."""
        rows = {upstream: self._row(upstream) for upstream in upstreams}
        moves = [
            (Tracking(upstream, position), row)
            for upstream, row in rows.items()
            if (position := self.skips.position(upstream)) > row
        ]
        comparing = self.app.compares_tracking
        try:
            if moves and comparing:
                self.app.save_moving(moves=moves)
            else:
                for tracking, _ in moves:
                    self.app.save_tracked(tracking=tracking)
        except IntegrityError:  # another writer moved a row first: read them again later
            for upstream in upstreams:
                self._tracked.pop(upstream, None)
        else:
            if comparing:
                self._tracked.update((t.application_name, t.notification_id) for t, _ in moves)
        for upstream in upstreams:
            self.skips.clear(upstream)

    def apply(self, upstream: str, events: Sequence[Envelope]) -> list[Rejection]:
        if self.skips.skipped(self.handlers, upstream, events):  # no position read needed
            return []
        # A command changed one of these aggregates meanwhile (or another replica applied
        # the batch): reload and try again.
        return retrying(
            lambda: self._apply_together({upstream: events}),
            busy=_exhausted(upstream),
            pause=0.005,
            on_conflict=lambda: log.info("effects_conflict_retry", upstream=upstream),
            error=RuntimeError,
        )

    def apply_all(self, batches: Mapping[str, Sequence[Envelope]]) -> list[Rejection]:
        """Every partition's batch in one save, each tracking row moved by compare-and-set;
        after a conflict, each batch on its own (reloading and retrying)."""
        if len(batches) > 1 and self.app.compares_tracking:
            try:
                return self._apply_together(batches)
            except IntegrityError:
                log.info("effects_conflict_retry", upstreams=len(batches))
        return [r for u, events in batches.items() for r in self.apply(u, events)]

    def _apply_together(self, batches: Mapping[str, Sequence[Envelope]]) -> list[Rejection]:
        uow = UnitOfWork(self.app)
        rejections: list[Rejection] = []
        moves: list[tuple[Tracking, int]] = []
        for upstream, events in batches.items():
            row = self._row(upstream)
            if todo := _todo(row, self.skips, self.handlers, upstream, events):
                rejections += _run_handlers(self.handlers, uow, todo)
                moves.append((Tracking(upstream, todo[-1].position), row))
        if not uow.aggregates and not rejections:
            for tracking, _ in moves:  # nothing changed: track them later
                self.skips.note(tracking.application_name, tracking.notification_id)
            return []
        try:
            if len(moves) == 1:
                ((tracking, row),) = moves
                self.app.save_tracked(*uow.aggregates, tracking=tracking, after=row)
            else:
                self.app.save_moving(*uow.aggregates, moves=moves)
        except IntegrityError:
            for tracking, _ in moves:
                self._tracked.pop(tracking.application_name, None)
            raise
        for tracking, _ in moves:
            if self.app.compares_tracking:
                self._tracked[tracking.application_name] = tracking.notification_id
            self.skips.clear(tracking.application_name)
        return rejections


# Writes an event's rows with the cursor of the batch's transaction; may return an action
# to run once that transaction has committed (e.g. to update a copy of the rows in memory).
ProjectionHandler = Callable[[Cursor[DictRow], Any], Callable[[], None] | None]


class ProjectionStore:
    """Read-model tables in a service's schema, with their own tracking table."""

    def __init__(self, datastore: Any, schema: str) -> None:
        self.datastore = datastore
        self.schema = schema

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Cursor[DictRow]]:
        """One statement on an autocommit connection: no BEGIN and ROLLBACK around it."""
        with self.datastore.get_connection() as conn, conn.cursor() as cur:
            yield cur

    def setup(self, *ddl: str) -> None:
        with self.datastore.transaction(commit=True) as cur:
            lock_ddl(cur, self.schema)
            cur.execute(
                f'CREATE TABLE IF NOT EXISTS "{self.schema}".projection_tracking ('
                "projection text NOT NULL, upstream text NOT NULL, position bigint NOT NULL, "
                "PRIMARY KEY (projection, upstream))"
            )
            for statement in ddl:
                cur.execute(statement.replace("{schema}", f'"{self.schema}"'))

    def position(self, projection: str, upstream: str) -> int:
        with self._reading() as cur:
            cur.execute(
                f'SELECT position FROM "{self.schema}".projection_tracking '
                "WHERE projection = %s AND upstream = %s",
                (projection, upstream),
            )
            row = cur.fetchone()
            return int(row["position"]) if row else 0

    def track(self, cur: Cursor[DictRow], projection: str, upstream: str, position: int) -> bool:
        cur.execute(
            f'INSERT INTO "{self.schema}".projection_tracking AS t VALUES (%s, %s, %s) '
            "ON CONFLICT (projection, upstream) DO UPDATE SET position = excluded.position "
            "WHERE t.position < excluded.position RETURNING position",
            (projection, upstream, position),
        )
        return cur.fetchone() is not None

    def track_after(
        self, cur: Cursor[DictRow], projection: str, upstream: str, after: int, position: int
    ) -> bool:
        """Move the tracking row from `after` to `position`; False if it is no longer at
        `after` (another writer moved it), so nothing it applied is applied again."""
        cur.execute(
            f'INSERT INTO "{self.schema}".projection_tracking AS t VALUES (%s, %s, %s) '
            "ON CONFLICT (projection, upstream) DO UPDATE SET position = excluded.position "
            "WHERE t.position = %s RETURNING position",
            (projection, upstream, position, after),
        )
        return cur.fetchone() is not None

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[DictRow]:
        with self._reading() as cur:
            cur.execute(statement.replace("{schema}", f'"{self.schema}"'), params)
            return list(cur.fetchall())


class _Stale(Exception):
    """Another writer tracked this position first."""


class ProjectionEffects:
    """Effects that are rows of read-model tables.

    The tracking row is moved by compare-and-set from the position this object last read
    or wrote, so a batch costs one transaction: no read of the row before it.
    """

    def __init__(
        self, store: ProjectionStore, name: str, handlers: Mapping[str, ProjectionHandler]
    ) -> None:
        self.store = store
        self.name = name
        self.handlers = handlers
        self.progress = Progress()
        self.skips = Skips()
        self._tracked: dict[str, int] = {}  # the row as this object last saw it

    def _row(self, upstream: str) -> int:
        found = self._tracked.get(upstream)
        if found is None:
            found = self._tracked[upstream] = self.store.position(self.name, upstream)
        return found

    def position(self, upstream: str) -> int:
        self._tracked.pop(upstream, None)  # asked from outside: read the row afresh
        return max(self._row(upstream), self.skips.position(upstream))

    def flush(self, *upstreams: str) -> None:
        """Every row in one transaction; a row found ahead (another writer) is read again
        later, the others are known."""
        moved: dict[str, bool] = {}
        if due := {u: p for u in upstreams if (p := self.skips.position(u))}:
            with self.store.datastore.transaction(commit=True) as cur:
                moved = {u: self.store.track(cur, self.name, u, p) for u, p in due.items()}
        for upstream in upstreams:
            if moved.get(upstream):
                self._tracked[upstream] = due[upstream]
            else:
                self._tracked.pop(upstream, None)
            self.skips.clear(upstream)

    def apply(self, upstream: str, events: Sequence[Envelope]) -> list[Rejection]:
        return retrying(
            lambda: self._apply_together({upstream: events}),
            busy=_exhausted(upstream),
            conflicts=(_Stale,),
            on_conflict=lambda: self._tracked.pop(upstream, None),
            error=RuntimeError,
        )

    def apply_all(self, batches: Mapping[str, Sequence[Envelope]]) -> list[Rejection]:
        """Every partition's batch in one transaction, each tracking row moved by
        compare-and-set; if one was moved meanwhile, each batch on its own."""
        try:
            return self._apply_together(batches)
        except _Stale:
            for upstream in batches:
                self._tracked.pop(upstream, None)
            return [r for u, events in batches.items() for r in self.apply(u, events)]

    def _apply_together(self, batches: Mapping[str, Sequence[Envelope]]) -> list[Rejection]:
        rejections: list[Rejection] = []
        todos: dict[str, tuple[int, list[Envelope]]] = {}
        for upstream, events in batches.items():
            row = self._row(upstream)
            if todo := _todo(row, self.skips, self.handlers, upstream, events):
                todos[upstream] = (row, todo)
        if not todos:
            return []
        committed: list[Callable[[], None]] = []
        with self.store.datastore.transaction(commit=True) as cur:
            for upstream, (row, todo) in todos.items():
                rejections += _run_handlers(self.handlers, cur, todo, committed)
                if not self.store.track_after(cur, self.name, upstream, row, todo[-1].position):
                    raise _Stale
        for action in committed:
            action()
        for upstream, (_, todo) in todos.items():
            self._tracked[upstream] = todo[-1].position
            self.skips.clear(upstream)
        return rejections


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
