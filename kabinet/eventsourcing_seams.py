"""Every private method of eventsourcing that kabinet overrides or calls: here, and only here.

The library has no public hook for a few steps kabinet changes: how a PostgreSQL save
inserts its events and tracking rows, how an application records a save and tells who
listens, and what every new aggregate's first event carries. Each seam below is a few
lines that hand the step to a public method of kabinet's subclass (`kabinet.eventstore`,
`kabinet.domain`). `SEAMS` lists the library's methods with the signatures relied on;
the contract tests check each against the installed library and that kabinet's override
is called, so an upgrade that changes one fails there (decision 40).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording, StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder
from psycopg import Cursor, sql
from psycopg.rows import DictRow


@dataclass(frozen=True)
class Seam:
    """A private method of an eventsourcing class, with its signature (no annotations) as
    kabinet calls or overrides it."""

    library: type
    name: str
    signature: str


_PG = PostgresProcessRecorder
SEAMS = (
    Seam(_PG, "_create_table", "(self, curs)"),
    Seam(_PG, "_insert_events", "(self, curs, stored_events, **kwargs)"),
    Seam(_PG, "_insert_stored_events", "(self, curs, stored_events, **kwargs)"),
    Seam(_PG, "_fetch_ids_after_insert_events", "(self, curs, stored_events, **_)"),
    Seam(_PG, "_lock_table", "(self, curs)"),
    Seam(_PG, "_notify_channel", "(self, curs)"),
    Seam(Application, "_record", "(self, processing_event)"),
    Seam(Application, "_take_snapshots", "(self, processing_event)"),
    Seam(Application, "_notify", "(self, recordings)"),
    Seam(Aggregate, "_create", "(event_class, *, id=None, **kwargs)"),
)


class RecorderSeams(PostgresProcessRecorder):
    """eventsourcing's PostgreSQL process recorder, its private steps handed to kabinet.

    Creating the tables also creates kabinet's insert function (`insert_function_ddl`); a
    tracked save moves kabinet's compare-and-set rows (`move_tracking`) and inserts its
    events through that function (`insert_call`), in the library's transaction.
    """

    @abstractmethod
    def insert_function_ddl(self) -> sql.Composed:
        """The function every save's events enter the table through."""

    @abstractmethod
    def insert_call(self, stored_events: Sequence[StoredEvent]) -> tuple[str, list[Any]]:
        """The statement that calls the insert function for `stored_events`, and its
        parameters."""

    @abstractmethod
    def move_tracking(self, curs: Cursor[DictRow], moves: list[tuple[Tracking, int]]) -> None:
        """Move each row from the position beside it (`tracking_moves` of a save)."""

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        super()._create_table(curs)
        curs.execute(self.insert_function_ddl(), prepare=False)

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Any, **kwargs: Any) -> None:
        """First in a tracked save's transaction: the tracking rows."""
        self.move_tracking(curs, kwargs.get("tracking_moves") or [])
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        """A tracked save's INSERT, after the library's table lock, through kabinet's
        insert function (as a save without tracking rows)."""
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(*self.insert_call(stored_events), prepare=True)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> Sequence[int] | None:
        """The ids the insert function returned (eventsourcing's own asserts an INSERT)."""
        return [row["notification_id"] for row in curs.fetchall()]

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        """No NOTIFY per save: nothing LISTENs (relays are woken in process, else poll),
        and every notifying commit takes PostgreSQL's one notify-queue lock."""


class ApplicationSeams(Application[UUID]):
    """eventsourcing's application, its recording of a save handed to `record_collected`
    and its after-save hook to `after_save`."""

    def store_collected(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Store what `processing_event` collected as the library's `save` does (record,
        take snapshots, tell `_notify`), less its deprecated `notify()`."""
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def record_collected(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Put the collected events in the store: the library's way, unless refined."""
        return super()._record(processing_event)

    def after_save(self, recordings: list[Recording[UUID]]) -> None:
        """Called after every save with what it recorded."""

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        return self.record_collected(processing_event)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        super()._notify(recordings)
        self.after_save(recordings)


class AggregateSeams(Aggregate):
    """eventsourcing's aggregate, the fields of its first event passed by `event_fields`."""

    @classmethod
    def event_fields(cls, fields: dict[str, Any]) -> dict[str, Any]:
        """The fields of a new event, completed where the subclass wants."""
        return fields

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Self:  # noqa: A002
        return super()._create(event_class, id=id, **cls.event_fields(kwargs))
