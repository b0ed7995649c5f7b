"""Shared steps of the integration tests: producing events and reading streams back,
signing numbers in."""

from __future__ import annotations

import asyncio
import queue
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import nats
from fastapi import FastAPI
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.envelope import Envelope
from contracts.subjects import partition_of, stream_name, subject, upstream_name
from gateway.settings import GatewaySettings
from kabinet import consistency
from kabinet.clock import ManualClock
from kabinet.effects import ProjectionStore
from kabinet.eventstore import RELAY_TRACKING, persistence_env, schema_name
from kabinet.runtime import create_service_app
from kabinet.settings import Settings
from services.account.projections import LastTopUp
from services.auth.settings import AuthSettings
from services.payments.application import PaymentsApplication
from services.payments.domain import Balance
from suite.seed import newest_code
from suite.servers import free_port
from suite.testing import InProcess, Stack, wait_until


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


async def publish_as_producer(js: JetStreamContext, settings: Settings, event: Envelope) -> int:
    """Publish one event to its producer's stream as that producer's relay would (its
    position as the message id); returns the partition."""
    partition = partition_of(event.partition_key, settings.partitions)
    await js.publish(
        subject(event.producer, partition, event.type, settings.namespace),
        event.model_dump_json().encode(),
        headers={
            "Nats-Msg-Id": f"{settings.namespace}:{event.producer}:{event.position}",
            "Kabinet-Position": str(event.position),
        },
    )
    return partition


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
        from contracts.detailing import ChargeIncurred
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
        partition = await publish_as_producer(self.js, self.settings, event)
        self.last[upstream_name("detailing", partition)] = self.position
        return charge_id, consistency.encode({"detailing": self.position})


async def activate_subscriber(
    client: httpx.AsyncClient, ops_headers: dict[str, str], msisdn: str, **extra: Any
) -> str:
    """Staff activates a number through the gateway (`extra`: e.g. its e-mail); returns
    the consistency token."""
    response = await client.post(
        "/ops/v1/subscribers",
        json={
            "msisdn": msisdn,
            "owner_name": "Анна Сергеевна Орлова",
            "region": "moscow",
            "tariff_id": "smart",
            **extra,
        },
        headers=ops_headers,
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["consistency_token"]
    return token


async def activate_and_sign_in(
    client: httpx.AsyncClient, ops_headers: dict[str, str], msisdn: str, **extra: Any
) -> str:
    """`activate_subscriber`, then the subscriber signs in (see `me`); returns the
    activation's consistency token."""
    token = await activate_subscriber(client, ops_headers, msisdn, **extra)
    await sign_in(client, msisdn, token)
    return token


SIGNED_IN: dict[str, dict[str, str]] = {}
"""Authorization headers of the numbers signed in so far (test numbers are unique)."""


async def code_from_outbox(client: httpx.AsyncClient, msisdn: str) -> str:
    """The newest code the number received, read from the dev SMS outbox."""
    outbox = await client.get("/dev/sms", params={"msisdn": msisdn})
    assert outbox.status_code == 200, outbox.text
    return newest_code(outbox.json()["messages"])


async def signed_in(
    client: httpx.AsyncClient,
    msisdn: str,
    token: str | None = None,
    *,
    remember_me: bool = False,
    channel: str = "mobile",
    purpose: str = "login",
) -> httpx.Response:
    """Sign a number in through the real flow: request a code (with the consistency token
    of its activation, so auth has seen it), read it from the dev outbox, verify it.
    Returns the verification's answer (the tokens)."""
    asked = await client.post(
        "/api/v1/auth/otp",
        json={"msisdn": msisdn, "purpose": purpose},
        headers={consistency.HEADER: token} if token else {},
    )
    assert asked.status_code == 202, asked.text
    verified = await client.post(
        "/api/v1/auth/otp/verify",
        json={
            "msisdn": msisdn,
            "request_id": asked.json()["request_id"],
            "code": await code_from_outbox(client, msisdn),
            "remember_me": remember_me,
            "channel": channel,
        },
    )
    assert verified.status_code == 200, verified.text
    return verified


async def sign_in(
    client: httpx.AsyncClient, msisdn: str, token: str | None = None
) -> dict[str, str]:
    """`signed_in`, then the Authorization headers, also kept for `me(msisdn)`."""
    verified = await signed_in(client, msisdn, token)
    SIGNED_IN[msisdn] = {"Authorization": f"Bearer {verified.json()['access_token']}"}
    return SIGNED_IN[msisdn]


def me(msisdn: str, key: str | None = None, token: str | None = None) -> dict[str, str]:
    """The headers of a request by the signed-in `msisdn`, with an Idempotency-Key and a
    consistency token if given."""
    headers = dict(SIGNED_IN[msisdn])
    if key:
        headers["Idempotency-Key"] = key
    if token:
        headers[consistency.HEADER] = token
    return headers


@asynccontextmanager
async def running_apps(settings: Settings, apps: dict[str, FastAPI]) -> AsyncIterator[Stack]:
    """These composition roots' apps, served in-process in this order (stopped in reverse)."""
    running = Stack(settings)
    try:
        for name, app in apps.items():
            running.running[name] = await InProcess(name, app, settings.port_of(name)).start()
        yield running
    finally:
        for process in reversed(list(running.running.values())):
            await process.stop()


@asynccontextmanager
async def signing_stack(
    settings: Settings,
    clock: ManualClock,
    auth: AuthSettings | None = None,
    gateway: GatewaySettings | None = None,
) -> AsyncIterator[Stack]:
    """account, auth, payments and the gateway, with auth and the gateway on `clock`
    (session limits and token expiry move with it), and auth's and the gateway's own
    settings as given."""
    from gateway.app import create_gateway
    from services.account.main import build as build_account
    from services.auth.main import build as build_auth
    from services.payments.main import build as build_payments

    apps = {
        "account": create_service_app(build_account(settings), settings),
        "auth": create_service_app(build_auth(settings, clock, auth), settings),
        "payments": create_service_app(build_payments(settings), settings),
        "gateway": create_gateway(settings, clock, gateway),
    }
    async with running_apps(settings, apps) as stack:
        yield stack


class Inbox:
    """An aiosmtpd handler: every message the SMTP server accepts lands in a queue."""

    def __init__(self) -> None:
        self.messages: queue.Queue[EmailMessage] = queue.Queue()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.put(parsed)
        return "250 Message accepted for delivery"

    async def next(self, timeout: float = 30.0) -> EmailMessage:
        """The next message, waited for (bounded)."""
        return await asyncio.to_thread(self.messages.get, timeout=timeout)


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on a free port, and what it receives."""
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def read_stream(stack: Stack, producer: str) -> list[bytes]:
    """Every message of a producer's stream, once its relay has gone through the whole log
    (its tracking row, not the stream's last message: some stored events are not public)."""
    app = stack.app_of(producer)
    last = int(app.recorder.max_notification_id() or 0)

    async def relayed() -> bool:
        return app.tracked_position(RELAY_TRACKING) >= last

    await wait_until(relayed, timeout=30)
    stream = stream_name(producer, stack.settings.namespace)
    async with jetstream(stack.settings) as (_, js):
        info = await js.stream_info(stream)
        return [
            (await js.get_msg(stream, seq)).data
            for seq in range(info.state.first_seq, info.state.last_seq + 1)
        ]


def payments_event(cls: type[Any], msisdn: str, position: int, **fields: Any) -> Any:
    """A PAYMENTS event as payments would publish it at `position` (for a test to play)."""
    return cls(
        event_id=uuid.uuid4(),
        occurred_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
        position=position,
        msisdn=msisdn,
        sequence=position,
        **fields,
    )
