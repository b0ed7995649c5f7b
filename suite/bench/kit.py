"""The runtime kit's own rates, in process: the outbox relay alone, then a consumer group alone."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from faststream.nats import NatsBroker
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from contracts.subjects import partition_of, stream_name, upstream_name
from kabinet.consumer import ConsumerGroup
from kabinet.eventstore import persistence_env
from kabinet.relay import OutboxRelay
from kabinet.runtime import nats_broker
from kabinet.settings import Settings
from services.account import publishing
from services.account.application import AccountApplication
from services.account.domain import Subscriber
from services.payments import consumers
from services.payments.application import PaymentsApplication

CHUNK = 1_000
POLL = 0.002


@dataclass
class Written:
    """What the account store holds: the last position overall and per partition."""

    count: int = 0
    last: int = 0
    last_by_partition: dict[int, int] = field(default_factory=dict)


def prewrite(app: AccountApplication, count: int, partitions: int) -> Written:
    """`count` SubscriberActivated events, saved ~1,000 aggregates per transaction."""
    written = Written()
    for start in range(0, count, CHUNK):
        numbers = [f"79{n:09d}" for n in range(start, min(start + CHUNK, count))]
        subscribers = [
            Subscriber.activate(m, "Bench Subscriber", "moscow", "smart") for m in numbers
        ]
        recordings = app.save(*subscribers)
        for msisdn, recording in zip(numbers, recordings, strict=True):
            position = recording.notification.id
            written.last_by_partition[partition_of(msisdn, partitions)] = position
            written.last = max(written.last, position)
        written.count += len(recordings)
    return written


@contextlib.asynccontextmanager
async def kit_nats(settings: Settings) -> AsyncIterator[NATS]:
    """A NATS connection made the way kabinet.runtime makes it."""
    broker: NatsBroker = nats_broker(settings)
    await broker.connect()
    try:
        yield broker.connection
    finally:
        with contextlib.suppress(Exception):
            await broker.connection.flush(timeout=2)
        await broker.stop()


async def relay_rate(
    app: AccountApplication, written: Written, nc: NATS, settings: Settings
) -> float:
    """Run the account relay alone until it tracked the last position; events/s.

    The clock starts once the relay leads (its advisory-lock connection is open), as the
    raw baseline's starts with its connection open: the rate is the publishing, not the
    start-up.
    """
    relay = OutboxRelay("account", app, publishing.to_public, nc, settings)
    js = relay.js
    task = asyncio.create_task(relay.run())
    try:
        while not relay.is_leader and not task.done():
            await asyncio.sleep(POLL / 10)  # poll: leadership has no event to wait on
        started = time.perf_counter()
        while relay.position < written.last:
            if task.done():
                task.result()
                raise RuntimeError("the relay stopped")
            await asyncio.sleep(POLL)  # poll: the relay's position has no event to wait on
        elapsed = time.perf_counter() - started
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    info = await js.stream_info(stream_name("account", settings.namespace))
    if info.state.messages != written.count:
        raise RuntimeError(f"stream holds {info.state.messages} messages, not {written.count}")
    return written.count / elapsed


async def consumer_rate(
    payments: PaymentsApplication, written: Written, js: JetStreamContext, settings: Settings
) -> float:
    """Run payments' consumer group alone until every partition applied its last position."""
    group = ConsumerGroup("payments", consumers.subscriptions(payments), js, settings)
    started = time.perf_counter()
    group.start()
    try:
        of_account = next(c for c in group.consumers if c.producer == "account")
        while any(
            of_account.applied(upstream_name("account", p)) < last
            for p, last in written.last_by_partition.items()
        ):
            await asyncio.sleep(POLL)  # poll: consumers' positions have no event to wait on
        elapsed = time.perf_counter() - started
    finally:
        await group.stop()
    for partition, last in written.last_by_partition.items():
        tracked = await asyncio.to_thread(
            payments.tracked_position, upstream_name("account", partition)
        )
        if tracked != last:
            raise RuntimeError(f"partition {partition} tracked {tracked}, expected {last}")
    return written.count / elapsed


def open_stores(settings: Settings) -> tuple[AccountApplication, PaymentsApplication]:
    return (
        AccountApplication(env=persistence_env(settings, "account")),
        PaymentsApplication(env=persistence_env(settings, "payments")),
    )
