"""Effects that are rows of read-model tables, written with their own tracking rows.

A projection's tracking row is moved by compare-and-set in the batch's transaction from
the position last read or written, so a batch costs one transaction: no read before it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from psycopg import Cursor
from psycopg.rows import DictRow

from kabinet.effects.tracked import Handlers, Rejection, Stale, Todo, TrackedEffects, run_handlers
from kabinet.eventstore import lock_ddl

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


class ProjectionTracking:
    """The `TrackingStore` of one projection (`name`) in a `ProjectionStore`."""

    compares = True  # every row moves by compare-and-set
    conflict_pause = 0.0  # a refused move saw the other writer's commit already

    def __init__(self, store: ProjectionStore, name: str) -> None:
        self.store = store
        self.name = name

    def tracked(self, upstream: str) -> int:
        return self.store.position(self.name, upstream)

    def track_skipped(self, due: Mapping[str, int], row: Callable[[str], int]) -> Mapping[str, int]:
        """Every row in one transaction, each only forward (no read first); a row found
        ahead (another writer) is left and read again later."""
        with self.store.datastore.transaction(commit=True) as cur:
            return {u: p for u, p in due.items() if self.store.track(cur, self.name, u, p)}

    def commit(self, todos: Sequence[Todo], handlers: Handlers) -> list[Rejection]:
        rejections: list[Rejection] = []
        committed: list[Callable[[], None]] = []
        with self.store.datastore.transaction(commit=True) as cur:
            for todo in todos:
                rejections += run_handlers(handlers, cur, todo.events, committed)
                if not self.store.track_after(
                    cur, self.name, todo.upstream, todo.row, todo.position
                ):
                    raise Stale
        for action in committed:
            action()
        return rejections


class ProjectionEffects(TrackedEffects):
    """Effects that are rows of the projection `name` in `store`: each handler writes them
    with the batch's cursor."""

    def __init__(
        self, store: ProjectionStore, name: str, handlers: Mapping[str, ProjectionHandler]
    ) -> None:
        super().__init__(ProjectionTracking(store, name), handlers)
        self.store = store
        self.name = name
