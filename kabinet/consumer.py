"""Durable JetStream pull consumers, one per owned partition of each upstream stream.

A fetched batch is parsed, redeliveries are dropped by their tracked position,
the rest is applied by each `Effects` subscribed to the producer (each in one
transaction with its own tracking row), and only then acked. Invalid messages go to
the dead-letter subject with the reason and do not block their partition.
Replica i of R takes partitions p ≡ i (mod R).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import nats.errors
import nats.js.errors
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts.envelope import Envelope
from contracts.registry import ContractError, parse_event
from contracts.subjects import (
    dead_letter_subject,
    partition_filter,
    stream_name,
    upstream_name,
)
from kabinet import metrics
from kabinet.effects import Effects, Rejection
from kabinet.faults import crash_point
from kabinet.relay import POSITION_HEADER
from kabinet.settings import Settings
from kabinet.streams import dead_letter_stream_config, ensure_stream, producer_stream_config

log = structlog.get_logger("kabinet.consumer")

FETCH_TIMEOUT = 5.0
FLUSH_SKIPS_AFTER = 0.2  # seconds
REASON_HEADER = "Kabinet-Dead-Letter-Reason"


class DeliveryGap(Exception):
    """Deliveries of this consumer did not all reach this process."""


@dataclass(frozen=True)
class Subscription:
    """This service consumes `producer`'s stream into `effects`.

    Subscriptions of one service to one producer (e.g. the service's own aggregates
    beside a read model) share its durable consumers: a message is fetched, parsed and
    acked once, and each `effects` applies it in turn, keeping its own position.
    """

    producer: str
    effects: Effects


class PartitionConsumer:
    def __init__(
        self,
        service: str,
        producer: str,
        effects: Sequence[Effects],
        partition: int,
        js: JetStreamContext,
        settings: Settings,
    ) -> None:
        self.service = service
        self.producer = producer
        self.effects = list(effects)
        self.partition = partition
        self.js = js
        self.settings = settings
        self.upstream = upstream_name(self.producer, partition)
        self.stream = stream_name(self.producer, settings.namespace)
        self.durable = f"{service}-{self.producer}-{partition}"
        self.positions = [0] * len(self.effects)  # what each effects has applied
        self.batches = 0
        self.next_delivery = 1
        self.stopping = False
        self.handling = False
        self._applied = metrics.CONSUMER_APPLIED.labels(service, self.producer)
        self._duplicates = metrics.CONSUMER_DUPLICATES.labels(service, self.producer)
        self._dead = metrics.DEAD_LETTERS.labels(service, self.producer)

    @property
    def position(self) -> int:
        """Every event up to here is applied by every effects."""
        return min(self.positions)

    async def prepare(self) -> JetStreamContext.PullSubscription:
        """(Re)create the durable consumer so delivery resumes in stream order.

        Messages a dead process fetched but never acked would otherwise come back
        only after `ack_wait`, behind newer ones; applied out of order, an older
        event would then look like a duplicate. So a (re)starting consumer always
        restarts delivery just after its ack floor: what follows arrives again,
        in order, and whatever was already applied is dropped by its position.
        An effects behind the ack floor (new to the producer, or restored) has the
        partition delivered again from its start.
        """
        await ensure_stream(self.js, producer_stream_config(self.producer, self.settings))
        self.positions = await asyncio.to_thread(
            lambda: [effects.position(self.upstream) for effects in self.effects]
        )
        start = 0
        try:
            info = await self.js.consumer_info(self.stream, self.durable)
            start = info.ack_floor.stream_seq if info.ack_floor else 0
            await self.js.delete_consumer(self.stream, self.durable)
        except nats.js.errors.NotFoundError:
            pass
        if start and self.position < await self._position_at(start):
            start = 0
        config = ConsumerConfig(
            durable_name=self.durable,
            filter_subject=partition_filter(self.producer, self.partition, self.settings.namespace),
            ack_policy=AckPolicy.ALL,  # acking a batch's last message acks the batch
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE if start else DeliverPolicy.ALL,
            opt_start_seq=start + 1 if start else None,
            ack_wait=self.settings.consumer_ack_wait,
            max_ack_pending=self.settings.consumer_batch * 4,
            max_deliver=-1,
        )
        await self.js.add_consumer(self.stream, config)
        for effects, position in zip(self.effects, self.positions, strict=True):
            effects.progress.advance(self.upstream, position)
            effects.progress.own(self.upstream)
        self.next_delivery = 1
        return await self.js.pull_subscribe_bind(self.durable, self.stream)

    async def _position_at(self, stream_seq: int) -> int:
        """The event position of a stored message (a huge one if it cannot be read)."""
        with contextlib.suppress(nats.errors.Error, KeyError, ValueError, TypeError):
            stored = await self.js.get_msg(self.stream, stream_seq)
            return int((stored.headers or {})[POSITION_HEADER])
        return 2**62

    async def run(self) -> None:
        """Fetch and handle until stopped; any broken delivery ends the run (and re-prepares)."""
        sub = await self.prepare()
        try:
            while not self.stopping:
                try:
                    msgs = await self.fetch(sub)
                except (TimeoutError, nats.errors.TimeoutError):
                    await self.flush_skips(idle=True)
                    continue
                self.handling = True
                try:
                    await self.handle(msgs)
                finally:
                    self.handling = False
        finally:
            for effects in self.effects:
                effects.progress.release(self.upstream)
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def fetch(self, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        """Wait for one message, then take what is already pending, up to a batch.

        A long-polling `fetch(batch > 1)` in nats-py 2.16 can leave an orphaned pull
        request behind after a client-side timeout, and a later message may then sit in
        it until that request expires; waiting for a single message avoids it.
        """
        skipping = any(e.skips.age(self.upstream) is not None for e in self.effects)
        waiting = FLUSH_SKIPS_AFTER if skipping else None
        msgs = list(await sub.fetch(1, timeout=waiting or FETCH_TIMEOUT))
        pending = msgs[-1].metadata.num_pending if msgs else 0
        if pending and self.settings.consumer_batch > 1:
            more = min(self.settings.consumer_batch - 1, pending)
            with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
                msgs.extend(await sub.fetch(more, timeout=FETCH_TIMEOUT))
        return msgs

    def check_deliveries(self, msgs: Sequence[Msg]) -> None:
        """Every delivery since `prepare` must reach us: a gap means messages went astray
        (a lost connection, a fetch that gave up), and applying what follows them would
        put newer events before older ones."""
        for msg in msgs:
            delivered = msg.metadata.sequence.consumer
            if delivered != self.next_delivery:
                raise DeliveryGap(
                    f"{self.durable}: delivery {delivered}, {self.next_delivery} expected"
                )
            self.next_delivery += 1

    async def handle(self, msgs: Sequence[Msg]) -> None:
        self.check_deliveries(msgs)
        events: list[Envelope] = []
        for msg in msgs:
            try:
                event = parse_event(msg.data)
                if event.producer != self.producer:
                    raise ContractError(f"event of {event.producer} on {self.producer}'s stream")
            except ContractError as exc:
                await self.dead_letter(msg, str(exc))
                continue
            if event.position <= self.position:
                self._duplicates.inc()
                continue
            events.append(event)
        if events:
            rejections = await asyncio.to_thread(self._apply, events)
            for effects, position in zip(self.effects, self.positions, strict=True):
                effects.progress.advance(self.upstream, position)
            self._applied.inc(len(events))
            await self.reject(rejections)
        self.batches += 1
        crash_point(self.settings.fault, "exit_after_commit", self.batches)
        await msgs[-1].ack()
        await self.flush_skips(idle=False)

    def _apply(self, events: Sequence[Envelope]) -> list[tuple[int, Rejection]]:
        """Each effects applies what it has not yet (in a worker thread)."""
        rejections: list[tuple[int, Rejection]] = []
        for index, effects in enumerate(self.effects):
            todo = [e for e in events if e.position > self.positions[index]]
            if todo:
                found = effects.apply(self.upstream, todo)
                rejections.extend((index, rejection) for rejection in found)
                self.positions[index] = todo[-1].position
        return rejections

    async def flush_skips(self, idle: bool) -> None:
        """Track skipped batches once idle, or once the oldest is `FLUSH_SKIPS_AFTER` old:
        a replica that reads this partition's position from PostgreSQL sees it soon."""
        for effects in self.effects:
            age = effects.skips.age(self.upstream)
            if age is not None and (idle or age >= FLUSH_SKIPS_AFTER):
                await asyncio.to_thread(effects.flush, self.upstream)

    async def dead_letter(self, msg: Msg, reason: str) -> None:
        log.warning("dead_letter", durable=self.durable, subject=msg.subject, reason=reason)
        await ensure_stream(self.js, dead_letter_stream_config(self.settings))
        await self.js.publish(
            dead_letter_subject(self.service, self.producer, self.settings.namespace),
            msg.data,
            headers={
                REASON_HEADER: reason[:500],
                "Kabinet-Original-Subject": msg.subject,
                "Nats-Msg-Id": f"dl:{self.durable}:{msg.metadata.sequence.stream}",
            },
        )
        self._dead.inc()

    async def reject(self, rejections: Iterable[tuple[int, Rejection]]) -> None:
        for index, rejection in rejections:
            log.warning(
                "event_rejected",
                durable=self.durable,
                type=rejection.event.type,
                position=rejection.event.position,
                reason=rejection.reason,
            )
            await ensure_stream(self.js, dead_letter_stream_config(self.settings))
            await self.js.publish(
                dead_letter_subject(self.service, self.producer, self.settings.namespace),
                rejection.event.model_dump_json().encode(),
                headers={
                    REASON_HEADER: rejection.reason[:500],
                    "Nats-Msg-Id": f"rj:{self.durable}:{index}:{rejection.event.position}",
                },
            )
            self._dead.inc()


class ConsumerGroup:
    """Every partition consumer of one process, started and stopped together."""

    def __init__(
        self,
        service: str,
        subscriptions: Sequence[Subscription],
        js: JetStreamContext,
        settings: Settings,
    ) -> None:
        by_producer: dict[str, list[Effects]] = {}
        for subscription in subscriptions:
            by_producer.setdefault(subscription.producer, []).append(subscription.effects)
        self.consumers = [
            PartitionConsumer(service, producer, effects, p, js, settings)
            for producer, effects in by_producer.items()
            for p in range(settings.partitions)
            if settings.owns_partition(p)
        ]
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._supervise(c)) for c in self.consumers]

    async def _supervise(self, consumer: PartitionConsumer) -> None:
        while not consumer.stopping:
            try:
                await consumer.run()
            except asyncio.CancelledError:
                raise
            except (DeliveryGap, nats.errors.Error) as exc:
                log.warning("consumer_restarting", durable=consumer.durable, reason=str(exc))
                await asyncio.sleep(0.2)  # poll: give a reconnect a moment
            except Exception:
                log.exception("consumer_failed", durable=consumer.durable)
                await asyncio.sleep(1.0)  # poll: back off before restarting

    async def stop(self, timeout: float = 20.0) -> None:
        """Finish the batch in hand (commit and ack), then stop."""
        for consumer in self.consumers:
            consumer.stopping = True
        for consumer, task in zip(self.consumers, self.tasks, strict=True):
            if not consumer.handling:
                task.cancel()
        await asyncio.wait(self.tasks, timeout=timeout) if self.tasks else None
