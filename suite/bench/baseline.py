"""Raw baselines in the bench's own process: nats-py publish and consume, eventsourcing saves."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import UUID

import nats
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts.subjects import subject
from kabinet.eventstore import persistence_env
from kabinet.relay import MSG_ID_HEADER
from kabinet.settings import Settings
from kabinet.streams import ensure_stream, producer_stream_config
from suite.bench.model import Line, to_public

IN_FLIGHT = 1_000
CONSUME_BATCH = 500
WARM_UP = 500


def nats_url(settings: Settings) -> str:
    assert settings.nats_url, "the bench always names its NATS server"
    return settings.nats_url


def sample_payload(msisdn: str = "79001234567", position: int = 20_000) -> bytes:
    """A SubscriberActivated event as the relay publishes the bench's lines."""
    line = Line.activate(msisdn, "Анна Сергеевна Орлова", "moscow", "smart")
    domain_event = line.collect_events()[0]
    public = to_public(domain_event, position)
    assert public is not None
    return public.model_dump_json().encode()


async def raw_publish(
    settings: Settings, payload: bytes, count: int, producer: str, with_msg_id: bool
) -> float:
    """Pipelined `publish_async` to a stream configured like a producer's; msg/s."""
    nc = await nats.connect(nats_url(settings))
    try:
        js = nc.jetstream(publish_async_max_pending=IN_FLIGHT)
        await ensure_stream(js, producer_stream_config(producer, settings))
        partitions = settings.partitions

        def headers_of(key: str) -> dict[str, str] | None:
            return {MSG_ID_HEADER: f"raw:{key}"} if with_msg_id else None

        subjects = [
            subject(producer, p, "SubscriberActivated", settings.namespace)
            for p in range(partitions)
        ]
        for i in range(WARM_UP):  # untimed: connection buffers, the stream's first blocks
            await js.publish_async(
                subjects[i % partitions], payload, headers=headers_of(f"warm-{i}")
            )
        await js.publish_async_completed()
        started = time.perf_counter()
        futures: list[asyncio.Future[Any]] = []
        for i in range(count):
            # A stall timeout only when the in-flight limit may make the publish wait: it
            # costs nats-py a task and a loop turn per publish (the relay does the same).
            full = js.publish_async_pending() >= IN_FLIGHT
            futures.append(
                await js.publish_async(
                    subjects[i % partitions],
                    payload,
                    headers=headers_of(str(i)),
                    wait_stall=10.0 if full else None,
                )
            )
        await asyncio.gather(*futures)
        return count / (time.perf_counter() - started)
    finally:
        await nc.close()


async def raw_consume(settings: Settings, count: int, producer: str) -> float:
    """One durable pull consumer over the whole stream, fetch 500 + ack each; msg/s."""
    nc = await nats.connect(nats_url(settings))
    try:
        js = nc.jetstream()
        stream = producer_stream_config(producer, settings).name
        assert stream
        await js.add_consumer(
            stream,
            ConsumerConfig(
                durable_name="raw",
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                max_ack_pending=CONSUME_BATCH * 4,
            ),
        )
        sub = await js.pull_subscribe_bind("raw", stream)
        started = time.perf_counter()
        received = 0
        while received < count:
            msgs = await sub.fetch(CONSUME_BATCH, timeout=5.0)
            for msg in msgs:
                await msg.ack()
            received += len(msgs)
        await nc.flush()
        return received / (time.perf_counter() - started)
    finally:
        await nc.close()


class Counter(Aggregate):
    @event("Created")
    def __init__(self) -> None:
        self.count = 0

    @event("Bumped")
    def bump(self) -> None:
        self.count += 1


class RawStore(Application[UUID]):
    name = "rawstore"


def raw_saves(settings: Settings, seconds: float = 1.5, aggregates: int = 100) -> float:
    """Plain eventsourcing on PostgreSQL: get + change + save one aggregate, serially; saves/s."""
    app = RawStore(env=persistence_env(settings, "rawstore"))
    try:
        counters = [Counter() for _ in range(aggregates)]
        app.save(*counters)
        ids = [c.id for c in counters]
        saves = 0
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            counter: Counter = app.repository.get(ids[saves % aggregates])
            counter.bump()
            app.save(counter)
            saves += 1
        return saves / (time.perf_counter() - started)
    finally:
        app.close()
