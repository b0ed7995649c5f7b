"""Event store factory: each service gets its own PostgreSQL schema (in-memory for unit tests)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import psycopg
from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProcessRecorder,
    Recording,
    StoredEvent,
    Tracking,
)
from eventsourcing.utils import retry
from psycopg import Cursor, sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow

from kabinet.eventsourcing_seams import ApplicationSeams, RecorderSeams
from kabinet.retry import ATTEMPTS, retrying
from kabinet.settings import Settings

RELAY_TRACKING = "__relay__"
SCALARS_UP_TO = 8  # events of one save sent as scalar parameters; more go as arrays
T = TypeVar("T")


def schema_name(service: str, namespace: str) -> str:
    """`payments` for the default namespace, `t1_payments` for namespace `t1`."""
    return service if namespace == "kabinet" else f"{namespace}_{service}"


def lock_ddl(cur: Any, schema: str, function: str = "pg_advisory_xact_lock") -> None:
    """Serialise one schema's DDL across processes, till the transaction ends (or, with
    `pg_advisory_lock`, till `pg_advisory_unlock`).

    PostgreSQL's `IF NOT EXISTS` does not hold under concurrency: two replicas starting
    together both try to create, and one fails ("tuple concurrently updated", a duplicate
    key in the catalog). Whoever waits on this lock finds the objects already made.
    """
    cur.execute(f"SELECT {function}(hashtext(%s))", (f"kabinet-ddl:{schema}",))


def ensure_schema(database_url: str, schema: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        lock_ddl(conn, schema)
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def persistence_env(settings: Settings, service: str, *, serving: bool = False) -> dict[str, str]:
    """eventsourcing's settings for one service: PostgreSQL when a URL is set, else memory.

    `serving`: the env of the service process itself. Run as one replica, it is the only
    writer of its store, so an aggregate in its cache is current (the cache takes each
    save) and a load costs no read of newer events. With several replicas, each load
    reads the events saved since the cached version (eventsourcing's fast-forward;
    decision 25).
    """
    if not settings.database_url:
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    info = conninfo_to_dict(settings.database_url)
    schema = schema_name(service, settings.namespace)
    ensure_schema(settings.database_url, schema)
    sole_writer = serving and settings.replicas == 1
    return {
        "AGGREGATE_CACHE_FASTFORWARD": "n" if sole_writer else "y",
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(info.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(info.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(info.get("port") or "5432"),
        "POSTGRES_USER": str(info.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(info.get("password") or ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(settings.db_pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.db_pool_size * 2),
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "PROCESS_RECORDER_TOPIC": "kabinet.eventstore:ComparingProcessRecorder",
    }


class ComparingProcessRecorder(RecorderSeams):
    """A process recorder that can move tracking rows by compare-and-set.

    Saved with `tracking_moves=[(Tracking(upstream, position), <row as last seen>), …]`,
    the save commits only if every row still holds exactly the position its caller saw
    (0: no row yet), so a caller may keep positions in memory between batches: another
    writer's batch in between makes the save fail (IntegrityError) instead of applying the
    same events twice. Several rows move in one transaction (batches of several partitions).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = sql.SQL("{}.{}").format(
            sql.Identifier(self.datastore.schema), sql.Identifier(self.tracking_table_name)
        )
        self.move_statement = sql.SQL(
            "UPDATE {} AS t SET notification_id = m.position "
            "FROM unnest(%(names)s::text[], %(positions)s::bigint[], %(afters)s::bigint[]) "
            "AS m(name, position, after) "
            "WHERE t.application_name = m.name AND t.notification_id = m.after "
            "RETURNING t.application_name"
        ).format(table)
        self.first_statement = sql.SQL(
            "INSERT INTO {} SELECT * FROM unnest(%(names)s::text[], %(positions)s::bigint[]) "
            "ON CONFLICT (application_name) DO NOTHING RETURNING application_name"
        ).format(table)
        self.insert_function = sql.SQL("{}.{}").format(
            sql.Identifier(self.datastore.schema),
            sql.Identifier(f"kabinet_insert_{self.events_table_name}"),
        )
        self._insert_statements: dict[int, str] = {}

    def insert_call(self, stored_events: Sequence[StoredEvent]) -> tuple[str, list[Any]]:
        """The call of the insert function for these events, and its parameters: up to
        `SCALARS_UP_TO` events as scalar parameters, more as four arrays, both dumped by
        psycopg in C; kept as a string, which psycopg parses once (decision 28)."""
        rows = len(stored_events) if len(stored_events) <= SCALARS_UP_TO else 0
        if (statement := self._insert_statements.get(rows)) is None:
            statement = self._insert_statements[rows] = self._compose_insert(rows)
        columns = [(e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events]
        if rows:
            return statement, [value for column in zip(*columns, strict=True) for value in column]
        return statement, [list(column) for column in zip(*columns, strict=True)]

    def _compose_insert(self, rows: int) -> str:
        """The call for `rows` events as scalars, or for four arrays when `rows` is 0."""
        types = (self.datastore.originator_id_type, "bigint", "text", "bytea")
        args: list[sql.Composable]
        if rows:
            args = [
                sql.SQL("ARRAY[{}]").format(sql.SQL(", ").join([sql.SQL(f"%s::{t}")] * rows))
                for t in types
            ]
        else:
            args = [sql.SQL(f"%s::{t}[]") for t in types]
        return (
            sql.SQL("SELECT notification_id FROM {}({}) AS n(notification_id)")
            .format(self.insert_function, sql.SQL(", ").join(args))
            .as_string(None)
        )

    def insert_function_ddl(self) -> sql.Composed:
        """The one way events enter the table; returns their notification ids in order.

        A save whose aggregate version is stored already is refused before the INSERT
        draws ids, so the log has no holes. The table lock, then an advisory lock, order
        the calls, and the check is a statement of its own so that it reads a snapshot
        taken after both (decision 36).
        """
        table = sql.SQL("{}.{}").format(
            sql.Identifier(self.datastore.schema), sql.Identifier(self.events_table_name)
        )
        key = f"kabinet-insert:{self.datastore.schema}.{self.events_table_name}"
        return sql.SQL(
            "CREATE OR REPLACE FUNCTION {function}"
            "(ids {id_type}[], versions bigint[], topics text[], states bytea[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql VOLATILE AS $kabinet$\n"
            "BEGIN\n"
            "  LOCK TABLE {table} IN ROW EXCLUSIVE MODE;\n"
            "  PERFORM pg_advisory_xact_lock(hashtext({key}));\n"
            "  FOR i IN 1 .. cardinality(ids) LOOP\n"
            "    IF EXISTS (SELECT FROM {table} WHERE originator_id = ids[i]\n"
            "               AND originator_version = versions[i]) THEN\n"
            "      RAISE unique_violation USING MESSAGE =\n"
            "        'duplicate key value: this version of the aggregate is stored already';\n"
            "    END IF;\n"
            "  END LOOP;\n"
            "  RETURN QUERY INSERT INTO {table} (originator_id, originator_version, topic, state)\n"
            "    SELECT * FROM unnest(ids, versions, topics, states) RETURNING notification_id;\n"
            "END\n"
            "$kabinet$"
        ).format(
            function=self.insert_function,
            id_type=sql.SQL(self.datastore.originator_id_type),
            key=sql.Literal(key),
            table=table,
        )

    def create_table(self) -> None:
        """eventsourcing creates in several transactions: one session lock spans them all."""
        schema = self.datastore.schema
        with self.datastore.get_connection() as conn:
            lock_ddl(conn, schema, "pg_advisory_lock")
            try:
                super().create_table()
            finally:
                lock_ddl(conn, schema, "pg_advisory_unlock")

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        """A save without tracking rows is one autocommitted statement, one round trip:
        the insert function orders saves by an advisory lock held till that statement
        commits, where eventsourcing holds its table lock across a round trip to the
        client (decision 27). Tracked saves take eventsourcing's transaction."""
        if kwargs.get("tracking") or kwargs.get("tracking_moves") or not stored_events:
            return super().insert_events(stored_events, **kwargs)
        statement, params = self.insert_call(stored_events)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return [row["notification_id"] for row in curs.fetchall()]

    def move_tracking(self, curs: Cursor[DictRow], moves: list[tuple[Tracking, int]]) -> None:
        """Move each row from the position beside it (0: insert it, if still absent), else
        IntegrityError: the save's transaction then stores nothing."""
        moved = [(t, after) for t, after in moves if after]
        first = [t for t, after in moves if not after]
        if moved:
            curs.execute(
                self.move_statement,
                {"names": [t.application_name for t, _ in moved],
                 "positions": [t.notification_id for t, _ in moved],
                 "afters": [after for _, after in moved]},
                prepare=True,
            )  # fmt: skip
            if len(curs.fetchall()) != len(moved):
                raise IntegrityError("a tracking row moved since it was read")
        if first:
            curs.execute(
                self.first_statement,
                {"names": [t.application_name for t in first],
                 "positions": [t.notification_id for t in first]},
                prepare=True,
            )  # fmt: skip
            if len(curs.fetchall()) != len(first):
                raise IntegrityError("a tracking row was written since it was read")


class Collected(ProcessingEvent[UUID]):
    """What one save stores. Aggregates are recognised by their class, not by
    eventsourcing's runtime-checkable protocols, which cost more per object (decision 28)."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            else:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


class KabinetApplication(ApplicationSeams):
    """An eventsourcing application whose recorder also keeps tracking rows.

    `save_tracked` stores the effects of consumed messages together with the
    position they came from, in one transaction (exactly-once consumption). Where a save
    passes through eventsourcing's private steps, `kabinet.eventsourcing_seams` hands
    them to `record_collected` and `after_save`.
    """

    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}
    retry_attempts: ClassVar[int] = ATTEMPTS
    """Tries of a command whose saves conflict before it is refused as busy (`retrying`)."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self._listeners: list[Callable[[list[Recording[UUID]]], None]] = []
        self._listeners_lock = threading.Lock()
        self._cache_lock = threading.Lock()

    @property
    def _trusted_cache(self) -> Any | None:
        """The aggregate cache, when it is current without fast-forward (the only writer)."""
        cache = self.repository.cache
        return cache if cache and not self.repository.fastforward else None

    def peek(self, aggregate_id: UUID) -> Any | None:
        """The cached aggregate, when the cache is trusted (the only writer), else None.

        For reads on the event loop: no copy, no thread hop. Never mutate what it gives.
        """
        cache = self._trusted_cache
        if cache is not None:
            with contextlib.suppress(KeyError):
                return cache.get(aggregate_id)  # the LRU cache locks itself
        return None

    def retrying(self, attempt: Callable[[], T], *, busy: str, field: str | None) -> T:
        """Run `attempt` (load → call → save) again while a concurrent write gets there
        first; after `retry_attempts` conflicts, `Conflict(busy, field=field)` (409)."""
        return retrying(attempt, busy=busy, field=field, attempts=self.retry_attempts)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """As eventsourcing's `save`, collecting into `Collected`."""
        processing_event = Collected()
        processing_event.collect_events(*objs, **kwargs)
        return self.store_collected(processing_event)

    def record_collected(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Record; a cache trusted without fast-forward takes only newer versions.

        Saves of one aggregate from two threads may finish in either order: the cache
        keeps the higher version. A save that conflicts (someone else wrote the
        aggregate) evicts it, so the retry loads what is stored.
        """
        cache = self._trusted_cache
        if cache is None:
            return super().record_collected(processing_event)
        aggregates = processing_event.aggregates
        try:
            recordings = self.events.put(
                processing_event.events,
                tracking=processing_event.tracking,
                **processing_event.saved_kwargs,
            )
        except IntegrityError:
            with self._cache_lock:
                for aggregate_id in aggregates:
                    with contextlib.suppress(KeyError):
                        cache.get(aggregate_id, evict=True)
            raise
        with self._cache_lock:
            for aggregate_id, aggregate in aggregates.items():
                try:
                    cached = cache.get(aggregate_id)
                except KeyError:
                    cached = None
                if cached is None or cached.version < aggregate.version:
                    cache.put(aggregate_id, aggregate)
        return recordings

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    @property
    def process_recorder(self) -> ProcessRecorder:
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        return recorder

    @property
    def compares_tracking(self) -> bool:
        """Whether `save_tracked(after=...)` moves the tracking row by compare-and-set."""
        return isinstance(self.recorder, ComparingProcessRecorder)

    def save_tracked(
        self, *aggregates: Any, tracking: Tracking, after: int | None = None
    ) -> list[Recording[UUID]]:
        """Save `aggregates` with `tracking`; with `after` (and `compares_tracking`), only
        if the tracking row is still at `after`, else IntegrityError."""
        if after is not None and self.compares_tracking:
            return self.save_moving(*aggregates, moves=[(tracking, after)])
        processing_event = Collected(tracking=tracking)
        processing_event.collect_events(*aggregates)
        return self.store_collected(processing_event)

    def save_moving(
        self, *aggregates: Any, moves: Sequence[tuple[Tracking, int]]
    ) -> list[Recording[UUID]]:
        """Save `aggregates` with several tracking rows, each moved from the position given
        beside it (`compares_tracking` only), else IntegrityError."""
        assert self.compares_tracking, "tracking rows move by compare-and-set on PostgreSQL"
        processing_event = Collected()
        processing_event.collect_events(*aggregates, tracking_moves=list(moves))
        return self.store_collected(processing_event)

    def tracked_position(self, upstream: str) -> int:
        return self.process_recorder.max_tracking_id(upstream) or 0

    def on_saved(self, listener: Callable[[list[Recording[UUID]]], None]) -> None:
        """Call `listener` (from the saving thread, after the commit) with the recordings
        of every save that stored events."""
        with self._listeners_lock:
            self._listeners.append(listener)

    def after_save(self, recordings: list[Recording[UUID]]) -> None:
        if recordings:
            for listener in list(self._listeners):
                listener(recordings)


def position_of(app: KabinetApplication, aggregate_id: UUID, version: int) -> int:
    """The notification id (position) of one stored event of an aggregate."""
    datastore = getattr(app.factory, "datastore", None)
    if datastore is not None:
        table = f"{app.name.lower()}_events"
        with datastore.transaction(commit=False) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT notification_id FROM {}.{} "
                    "WHERE originator_id = %s AND originator_version = %s"
                ).format(sql.Identifier(datastore.schema), sql.Identifier(table)),
                (aggregate_id, version),
            )
            row = cur.fetchone()
            if row is None:
                raise LookupError(f"no event {aggregate_id} v{version}")
            return int(row["notification_id"])
    start = 1
    while notifications := app.recorder.select_notifications(start, 1000):
        for notification in notifications:
            if (
                notification.originator_id == aggregate_id
                and notification.originator_version == version
            ):
                return notification.id
        start = notifications[-1].id + 1
    raise LookupError(f"no event {aggregate_id} v{version}")
