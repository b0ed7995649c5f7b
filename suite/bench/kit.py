"""The runtime kit's own rates, in process: the outbox relay alone, then a consumer group
alone, both on the bench's own model (`suite.bench.model`)."""

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
from kabinet.consumer import ConsumerGroup, Subscription
from kabinet.effects import ApplicationEffects
from kabinet.eventstore import persistence_env
from kabinet.relay import OutboxRelay
from kabinet.runtime import nats_broker
from kabinet.settings import Settings
from suite.bench.model import PRODUCER, Ledgers, Line, Lines, to_public

CHUNK = 1_000
POLL = 0.002


@dataclass
class Written:
    """What the line store holds: the last position overall and per partition."""

    count: int = 0
    last: int = 0
    last_by_partition: dict[int, int] = field(default_factory=dict)


def prewrite(app: Lines, count: int, partitions: int) -> Written:
    """`count` line activations, saved ~1,000 aggregates per transaction."""
    written = Written()
    for start in range(0, count, CHUNK):
        numbers = [f"79{n:09d}" for n in range(start, min(start + CHUNK, count))]
        lines = [Line.activate(m, "Bench Subscriber", "moscow", "smart") for m in numbers]
        recordings = app.save(*lines)
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


async def relay_rate(app: Lines, written: Written, nc: NATS, settings: Settings) -> float:
    """Run a relay of the line store alone until it tracked the last position; events/s.

    The clock starts once the relay leads (its advisory-lock connection is open), as the
    raw baseline's starts with its connection open: the rate is the publishing, not the
    start-up.
    """
    relay = OutboxRelay(PRODUCER, app, to_public, nc, settings)
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
    info = await js.stream_info(stream_name(PRODUCER, settings.namespace))
    if info.state.messages != written.count:
        raise RuntimeError(f"stream holds {info.state.messages} messages, not {written.count}")
    return written.count / elapsed


async def consumer_rate(
    ledgers: Ledgers, written: Written, js: JetStreamContext, settings: Settings
) -> float:
    """Run a consumer group alone, opening a ledger per line, until every partition
    applied its last position."""
    effects = ApplicationEffects(ledgers, {"SubscriberActivated": ledgers.on_subscriber_activated})
    group = ConsumerGroup("ledgers", [Subscription(PRODUCER, effects)], js, settings)
    started = time.perf_counter()
    group.start()
    try:
        (consumer,) = group.consumers
        while any(
            consumer.applied(upstream_name(PRODUCER, p)) < last
            for p, last in written.last_by_partition.items()
        ):
            await asyncio.sleep(POLL)  # poll: consumers' positions have no event to wait on
        elapsed = time.perf_counter() - started
    finally:
        await group.stop()
    for partition, last in written.last_by_partition.items():
        tracked = await asyncio.to_thread(
            ledgers.tracked_position, upstream_name(PRODUCER, partition)
        )
        if tracked != last:
            raise RuntimeError(f"partition {partition} tracked {tracked}, expected {last}")
    return written.count / elapsed


def open_stores(settings: Settings) -> tuple[Lines, Ledgers]:
    return (
        Lines(env=persistence_env(settings, Lines.name)),
        Ledgers(env=persistence_env(settings, Ledgers.name)),
    )
