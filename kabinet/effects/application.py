"""Effects that are events of an event-sourced application, saved with the tracking rows.

eventsourcing's process recorder keeps the rows beside the events; `ComparingProcessRecorder`
(PostgreSQL) moves them by compare-and-set, so rows are kept in memory between batches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Tracking

from kabinet.effects.tracked import Handlers, Rejection, Stale, Todo, TrackedEffects, run_handlers
from kabinet.eventstore import KabinetApplication


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


class ApplicationTracking:
    """The `TrackingStore` of an application: its aggregates, saved with the rows."""

    conflict_pause = 0.005  # a command that changed an aggregate meanwhile has committed

    def __init__(self, app: KabinetApplication) -> None:
        self.app = app

    @property
    def compares(self) -> bool:
        return self.app.compares_tracking

    def tracked(self, upstream: str) -> int:
        return self.app.tracked_position(upstream)

    def track_skipped(self, due: Mapping[str, int], row: Callable[[str], int]) -> Mapping[str, int]:
        """Each row moved by compare-and-set from where it was last seen, all in one save."""
        rows = {upstream: row(upstream) for upstream in due}
        moves = [(Tracking(u, p), rows[u]) for u, p in due.items() if p > rows[u]]
        try:
            if moves and self.compares:
                self.app.save_moving(moves=moves)
            else:
                for tracking, _ in moves:
                    self.app.save_tracked(tracking=tracking)
        except IntegrityError:  # another writer moved a row first: read them again later
            return {}
        return {**rows, **{t.application_name: t.notification_id for t, _ in moves}}

    def commit(self, todos: Sequence[Todo], handlers: Handlers) -> list[Rejection] | None:
        uow = UnitOfWork(self.app)
        rejections = [r for todo in todos for r in run_handlers(handlers, uow, todo.events)]
        if not uow.aggregates and not rejections:
            return None
        try:
            if len(todos) == 1:
                (todo,) = todos
                tracking = Tracking(todo.upstream, todo.position)
                self.app.save_tracked(*uow.aggregates, tracking=tracking, after=todo.row)
            else:
                moves = [(Tracking(t.upstream, t.position), t.row) for t in todos]
                self.app.save_moving(*uow.aggregates, moves=moves)
        except IntegrityError as exc:
            raise Stale from exc
        return rejections


class ApplicationEffects(TrackedEffects):
    """Effects that are events of `app`: each handler changes aggregates of a unit of work."""

    def __init__(
        self,
        app: KabinetApplication,
        handlers: Mapping[str, Callable[[UnitOfWork, Any], None]],
    ) -> None:
        super().__init__(ApplicationTracking(app), handlers)
        self.app = app
