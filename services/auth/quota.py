"""Counters per clock hour in auth's schema, shared by every replica: how many codes a
client IP asked for, how many password logins it tried, how many SMS went out.

One statement takes a unit or refuses it, so concurrent requests never exceed a limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kabinet.effects import ProjectionStore
from services.auth.domain import seconds_until

QUOTA_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.hourly_quota (
    bucket text NOT NULL,
    key text NOT NULL,
    hour timestamptz NOT NULL,
    used integer NOT NULL,
    PRIMARY KEY (bucket, key, hour)
)
"""


def hour_of(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


class HourlyQuota:
    def __init__(self, store: ProjectionStore) -> None:
        self.store = store

    def setup(self) -> None:
        self.store.setup(QUOTA_DDL)

    def take(self, bucket: str, key: str, limit: int, now: datetime) -> int | None:
        """Take one unit of this hour's `limit`: None if taken, else seconds to wait."""
        hour = hour_of(now)
        table = f'"{self.store.schema}".hourly_quota'
        with self.store.datastore.transaction(commit=True) as cur:
            cur.execute(
                f"DELETE FROM {table} WHERE bucket = %s AND key = %s AND hour < %s",
                (bucket, key, hour),
            )
            cur.execute(
                f"INSERT INTO {table} AS q VALUES (%s, %s, %s, 1) "
                "ON CONFLICT (bucket, key, hour) DO UPDATE SET used = q.used + 1 "
                "WHERE q.used < %s RETURNING used",
                (bucket, key, hour, limit),
            )
            taken = cur.fetchone() is not None and limit > 0
        return None if taken else seconds_until(hour + timedelta(hours=1), now)
