"""Consistency tokens: the positions a write produced, e.g. `payments:42,account:7`.

A command answers with the token (body field `consistency_token` and header
`Kabinet-Consistency-Token`); a read that sends it back waits, bounded, until the
projections it reads have applied those positions: on the tracking row of the
subscriber's partition (`kabinet.effects.wait_for_position`, decision 6), or, for a
producer whose events name no subscriber, by counting what was applied
(`AppliedPositions`).
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING

from kabinet.domain import KabinetError

if TYPE_CHECKING:
    from psycopg import Cursor
    from psycopg.rows import DictRow

    from kabinet.effects import ProjectionStore

HEADER = "Kabinet-Consistency-Token"
_PART = re.compile(r"^([a-z]+):(\d{1,18})$")


def encode(positions: dict[str, int]) -> str:
    return ",".join(f"{producer}:{position}" for producer, position in sorted(positions.items()))


def decode(token: str | None) -> dict[str, int]:
    if not token:
        return {}
    positions: dict[str, int] = {}
    for part in token.split(","):
        match = _PART.match(part.strip())
        if not match:
            raise KabinetError("consistency token is malformed", field="consistency_token")
        producer, position = match.group(1), int(match.group(2))
        positions[producer] = max(position, positions.get(producer, 0))
    return positions


def merge(*tokens: str | None) -> str:
    merged: dict[str, int] = {}
    for token in tokens:
        for producer, position in decode(token).items():
            merged[producer] = max(position, merged.get(producer, 0))
    return encode(merged)


class AppliedPositions:
    """Every position of one producer a read model applied, in a table of its own, to wait
    for a token of that producer as a whole.

    A partition's tracking row vouches for the events of that partition only. A producer
    whose events spread over the partitions by their own ids (the catalog's products)
    answers a token that names no partition, and no row says every earlier event is
    applied. Its positions have no holes (every event is public, and a refused save draws
    no ids: decisions 34 and 36), so "every event up to N is here" is
    `count(applied ≤ N) = N`. Each handler notes its event's position in the batch's
    transaction (`note`).
    """

    def __init__(self, store: ProjectionStore, table: str) -> None:
        self.store = store
        self.table = table

    @property
    def ddl(self) -> str:
        return f"CREATE TABLE IF NOT EXISTS {{schema}}.{self.table} (position bigint PRIMARY KEY)"

    def note(self, cur: Cursor[DictRow], position: int) -> None:
        cur.execute(
            f'INSERT INTO "{self.store.schema}".{self.table} VALUES (%s) ON CONFLICT DO NOTHING',
            (position,),
        )

    def caught_up(self, position: int) -> bool:
        rows = self.store.query(
            f"SELECT count(*) AS n FROM {{schema}}.{self.table} WHERE position <= %s",
            (position,),
        )
        return int(rows[0]["n"]) >= position

    async def wait(self, position: int, timeout: float) -> bool:
        """Wait (bounded) until every event up to `position` is applied. A hole in the
        positions (a lost connection mid-save) makes the wait run out after `timeout`."""
        deadline = time.monotonic() + timeout
        delay = 0.002
        while not await asyncio.to_thread(self.caught_up, position):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(delay)  # poll: the rows live in PostgreSQL
            delay = min(delay * 2, 0.05)
        return True
