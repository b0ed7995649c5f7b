"""Account's read models built from other services' events."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from psycopg import Cursor
from psycopg.rows import DictRow

from contracts.payments import PaymentPosted
from kabinet.effects import ProjectionStore

TOPUPS_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.last_topup (
    msisdn text PRIMARY KEY,
    amount_kopecks bigint NOT NULL,
    paid_at timestamptz NOT NULL,
    topups bigint NOT NULL,
    total_kopecks bigint NOT NULL,
    last_sequence bigint NOT NULL,
    out_of_order bigint NOT NULL DEFAULT 0
)
"""


class LastTopUp:
    """The date and amount of a subscriber's last top-up (for the dashboard).

    With `remember` (this process is the only writer: one replica), the rows it commits
    and reads are also kept in memory, so the dashboard's read after a top-up needs no
    query: a row is taken after its transaction commits (and before the consumer's
    position moves on, which wakes the reads waiting for it), and a copy never replaces a
    newer one (`topups` only grows).
    """

    name = "last_topup"
    REMEMBERED = 20_000
    COLUMNS = "msisdn, amount_kopecks, paid_at, topups, total_kopecks, out_of_order"

    def __init__(self, store: ProjectionStore, *, remember: bool = False) -> None:
        self.store = store
        self._rows: OrderedDict[str, dict[str, Any]] | None = OrderedDict() if remember else None
        self._lock = threading.Lock()

    def setup(self) -> None:
        self.store.setup(TOPUPS_DDL)

    def on_payment_posted(
        self, cur: Cursor[DictRow], event: PaymentPosted
    ) -> Callable[[], None] | None:
        cur.execute(
            f'INSERT INTO "{self.store.schema}".last_topup AS t '
            "VALUES (%s, %s, %s, 1, %s, %s, 0) "
            "ON CONFLICT (msisdn) DO UPDATE SET "
            "amount_kopecks = excluded.amount_kopecks, paid_at = excluded.paid_at, "
            "topups = t.topups + 1, total_kopecks = t.total_kopecks + excluded.total_kopecks, "
            "last_sequence = excluded.last_sequence, "
            "out_of_order = t.out_of_order + (excluded.last_sequence <= t.last_sequence)::int "
            f"RETURNING {self.COLUMNS}",
            (
                event.msisdn,
                event.amount_kopecks,
                event.occurred_at,
                event.amount_kopecks,
                event.sequence,
            ),
        )
        row = cur.fetchone()
        if self._rows is None or row is None:
            return None
        return lambda: self._remember(dict(row))

    def remembered(self, msisdn: str) -> dict[str, Any] | None:
        """The row from memory, if there (no query: for the event loop)."""
        if self._rows is None:
            return None
        with self._lock:
            return self._rows.get(msisdn)

    def get(self, msisdn: str) -> dict[str, Any] | None:
        if (found := self.remembered(msisdn)) is not None:
            return found
        rows = self.store.query(
            f"SELECT {self.COLUMNS} FROM {{schema}}.last_topup WHERE msisdn = %s", (msisdn,)
        )
        if not rows:
            return None
        found = dict(rows[0])
        self._remember(found)
        return found

    def _remember(self, row: dict[str, Any]) -> None:
        if self._rows is None:
            return
        with self._lock:
            known = self._rows.get(row["msisdn"])
            if known is None or row["topups"] >= known["topups"]:
                self._rows[row["msisdn"]] = row
            self._rows.move_to_end(row["msisdn"])
            if len(self._rows) > self.REMEMBERED:
                self._rows.popitem(last=False)
