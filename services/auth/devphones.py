"""Dev profile: what the phones of a local stack received — SMS and USSD pushes — kept in
auth's schema, so a local user (or a test) reads them at `GET /dev/sms` and `/dev/ussd`.
The only place a code is ever visible."""

from __future__ import annotations

from typing import Any

from kabinet.clock import Clock
from kabinet.effects import ProjectionStore

DEV_PHONE_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.dev_phone (
    id bigserial PRIMARY KEY,
    msisdn text NOT NULL,
    channel text NOT NULL,
    kind text NOT NULL,
    text text NOT NULL,
    request_id text,
    at timestamptz NOT NULL
)
"""


class DevPhones:
    def __init__(self, store: ProjectionStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def setup(self) -> None:
        self.store.setup(DEV_PHONE_DDL)

    def record(
        self, msisdn: str, channel: str, kind: str, text: str, request_id: str | None = None
    ) -> None:
        with self.store.datastore.transaction(commit=True) as cur:
            cur.execute(
                f'INSERT INTO "{self.store.schema}".dev_phone '
                "(msisdn, channel, kind, text, request_id, at) VALUES (%s, %s, %s, %s, %s, %s)",
                (msisdn, channel, kind, text, request_id, self.clock.now()),
            )

    def read(self, msisdn: str, channel: str, limit: int = 20) -> list[dict[str, Any]]:
        """The newest first."""
        rows = self.store.query(
            "SELECT id, msisdn, kind, text, request_id, at FROM {schema}.dev_phone "
            "WHERE msisdn = %s AND channel = %s ORDER BY id DESC LIMIT %s",
            (msisdn, channel, limit),
        )
        return [{**row, "at": row["at"].isoformat()} for row in rows]
