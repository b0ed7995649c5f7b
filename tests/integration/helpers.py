"""Shared steps of the integration tests: producing events and reading streams back."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.subjects import partition_of, stream_name, upstream_name
from kabinet import consistency
from kabinet.effects import ProjectionStore
from kabinet.eventstore import persistence_env, schema_name
from kabinet.settings import Settings
from services.account.projections import LastTopUp
from services.payments.application import PaymentsApplication
from services.payments.domain import Balance


def numbers(count: int) -> list[str]:
    base = uuid.uuid4().int % 10**8
    return [f"79{(base + i) % 10**9:09d}" for i in range(count)]


def payments_app(settings: Settings) -> PaymentsApplication:
    return PaymentsApplication(env=persistence_env(settings, "payments"))


def open_balances(app: PaymentsApplication, msisdns: list[str]) -> None:
    app.save(*[Balance.open(m) for m in msisdns])


def top_up_round_robin(
    app: PaymentsApplication, msisdns: list[str], rounds: int, settings: Settings, tag: str = "a"
) -> dict[str, int]:
    """`rounds` top-ups per number, interleaved; returns the last position per upstream."""
    last: dict[str, int] = defaultdict(int)
    for r in range(rounds):
        for m in msisdns:
            result = app.top_up(m, 100_00 + r, f"{tag}-round-{r}")
            position = consistency.decode(result["consistency_token"])["payments"]
            upstream = upstream_name("payments", partition_of(m, settings.partitions))
            last[upstream] = max(last[upstream], position)
    return dict(last)


class AccountProjections(ProjectionStore):
    """The account service's read models, read directly by a test."""

    def __init__(self, settings: Settings) -> None:
        from services.account.application import AccountApplication

        self.app = AccountApplication(env=persistence_env(settings, "account"))
        datastore = self.app.factory.datastore  # type: ignore[attr-defined]
        super().__init__(datastore, schema_name("account", settings.namespace))
        LastTopUp(self).setup()


@asynccontextmanager
async def jetstream(settings: Settings) -> AsyncIterator[tuple[Client, JetStreamContext]]:
    nc = await nats.connect(settings.nats_url)
    try:
        yield nc, nc.jetstream()
    finally:
        await nc.close()


async def stream_positions(js: JetStreamContext, producer: str, settings: Settings) -> list[int]:
    """The Kabinet-Position of every message in a producer's stream, in stream order."""
    stream = stream_name(producer, settings.namespace)
    info = await js.stream_info(stream)
    positions = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(stream, seq)
        positions.append(int((msg.headers or {})["Kabinet-Position"]))
    return positions


def bulk_top_ups(app: PaymentsApplication, msisdns: list[str], rounds: int) -> None:
    """Many PaymentPosted events quickly: one save per ten ledgers.

    (A single save of ~2,000 events stalls psycopg's pipeline on a Unix socket.)
    """
    for start in range(0, len(msisdns), 10):
        balances = [Balance.open(m) for m in msisdns[start : start + 10]]
        for balance in balances:
            for r in range(rounds):
                balance.top_up(f"bulk-{r}", 100_00)
        app.save(*balances)


class DetailingFeed:
    """Publishes ChargeIncurred events to the DETAILING stream as detailing's relay would."""

    def __init__(self, js: JetStreamContext, settings: Settings) -> None:
        self.js = js
        self.settings = settings
        self.position = 0
        self.last: dict[str, int] = {}

    async def charge(
        self, msisdn: str, amount_kopecks: int, charge_id: str | None = None
    ) -> tuple[str, str]:
        """Publish one charge; returns (charge_id, a consistency token naming its position)."""
        from datetime import UTC, datetime

        from contracts.detailing import ChargeIncurred
        from contracts.subjects import subject
        from kabinet.streams import ensure_stream, producer_stream_config

        if self.position == 0:
            await ensure_stream(self.js, producer_stream_config("detailing", self.settings))
        self.position += 1
        charge_id = charge_id or f"charge-{uuid.uuid4()}"
        event = ChargeIncurred(
            event_id=uuid.uuid4(),
            occurred_at=datetime.now(UTC),
            position=self.position,
            msisdn=msisdn,
            charge_id=charge_id,
            kind="usage",
            amount_kopecks=amount_kopecks,
            cause_type="UsageRated",
        )
        partition = partition_of(msisdn, self.settings.partitions)
        await self.js.publish(
            subject("detailing", partition, "ChargeIncurred", self.settings.namespace),
            event.model_dump_json().encode(),
            headers={
                "Nats-Msg-Id": f"{self.settings.namespace}:detailing:{self.position}",
                "Kabinet-Position": str(self.position),
            },
        )
        self.last[upstream_name("detailing", partition)] = self.position
        return charge_id, consistency.encode({"detailing": self.position})


async def activate_subscriber(client: object, ops_headers: dict[str, str], msisdn: str) -> str:
    """Staff activates a number through the gateway; returns the consistency token."""
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    response = await client.post(
        "/ops/v1/subscribers",
        json={
            "msisdn": msisdn,
            "owner_name": "Анна Сергеевна Орлова",
            "region": "moscow",
            "tariff_id": "smart",
        },
        headers=ops_headers,
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["consistency_token"]
    return token
