"""Account's read models built from other services' events."""

from __future__ import annotations

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
    """The date and amount of a subscriber's last top-up (for the dashboard)."""

    name = "last_topup"

    def __init__(self, store: ProjectionStore) -> None:
        self.store = store

    def setup(self) -> None:
        self.store.setup(TOPUPS_DDL)

    def on_payment_posted(self, cur: Cursor[DictRow], event: PaymentPosted) -> None:
        cur.execute(
            f'INSERT INTO "{self.store.schema}".last_topup AS t '
            "VALUES (%s, %s, %s, 1, %s, %s, 0) "
            "ON CONFLICT (msisdn) DO UPDATE SET "
            "amount_kopecks = excluded.amount_kopecks, paid_at = excluded.paid_at, "
            "topups = t.topups + 1, total_kopecks = t.total_kopecks + excluded.total_kopecks, "
            "last_sequence = excluded.last_sequence, "
            "out_of_order = t.out_of_order + (excluded.last_sequence <= t.last_sequence)::int",
            (
                event.msisdn,
                event.amount_kopecks,
                event.occurred_at,
                event.amount_kopecks,
                event.sequence,
            ),
        )

    def get(self, msisdn: str) -> dict[str, Any] | None:
        rows = self.store.query(
            "SELECT amount_kopecks, paid_at, topups, total_kopecks, out_of_order "
            "FROM {schema}.last_topup "
            "WHERE msisdn = %s",
            (msisdn,),
        )
        return dict(rows[0]) if rows else None
