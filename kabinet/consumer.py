"""Durable JetStream pull consumers: one per service and upstream producer, over every
partition this replica owns.

A fetched batch (messages of several partitions, each partition in order) is parsed,
redeliveries are dropped by their tracked position, and for each partition the rest is
applied by each `Effects` subscribed to the producer (in one transaction with its own
tracking row per partition); only then is the batch acked. Invalid messages go to the
dead-letter subject with the reason and do not block their partition. Replica i of R
applies partitions p ≡ i (mod R) and passes over the others' messages.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import nats.errors
import nats.js.errors
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts.envelope import Envelope
from contracts.registry import ContractError, parse_event
from contracts.subjects import dead_letter_subject, stream_name, stream_subjects, upstream_name
from kabinet import metrics
from kabinet.effects import Effects, Rejection
from kabinet.faults import crash_point
from kabinet.relay import POSITION_HEADER
from kabinet.settings import Settings
from kabinet.streams import dead_letter_stream_config, ensure_stream, producer_stream_config

log = structlog.get_logger("kabinet.consumer")

FETCH_TIMEOUT = 5.0
FLUSH_SKIPS_AFTER = 0.2  # seconds: once idle, or while busy with several replicas
FLUSH_SKIPS_ALONE_AFTER = 2.0  # seconds: while busy, as the only replica
PARALLEL_FROM = 100  # events in a batch from which its partitions are applied in parallel
SAVE_LIMIT = 500  # events of one partition per save, well below what stalls (decision 13)
REASON_HEADER = "Kabinet-Dead-Letter-Reason"


class DeliveryGap(Exception):
    """Deliveries of this consumer did not all reach this process."""


@dataclass(frozen=True)
class Subscription:
    """This service consumes `producer`'s stream into `effects`.

    Subscriptions of one service to one producer (e.g. the service's own aggregates
    beside a read model) share one durable consumer: a message is fetched, parsed and
    acked once, and each `effects` applies it in turn, keeping its own position.
    """

    producer: str
    effects: Effects


class ProducerConsumer:
    """One service's durable consumer of one producer's stream, for the owned partitions."""

    def __init__(
        self,
        service: str,
        producer: str,
        effects: Sequence[Effects],
        js: JetStreamContext,
        settings: Settings,
    ) -> None:
        self.service = service
        self.producer = producer
        self.effects = list(effects)
        self.js = js
        self.settings = settings
        self.partitions = [p for p in range(settings.partitions) if settings.owns_partition(p)]
        self.upstreams = {p: upstream_name(producer, p) for p in self.partitions}
        self.stream = stream_name(producer, settings.namespace)
        replica = f"-r{settings.replica}" if settings.replicas > 1 else ""
        self.durable = f"{service}-{producer}{replica}"
        # what each effects (by index) has applied, per upstream
        self.positions: list[dict[str, int]] = [{} for _ in self.effects]
        self.batches = 0
        self.next_delivery = 1
        self.stopping = False
        self.handling = False
        self._applied = metrics.CONSUMER_APPLIED.labels(service, self.producer)
        self._duplicates = metrics.CONSUMER_DUPLICATES.labels(service, self.producer)
        self._dead = metrics.DEAD_LETTERS.labels(service, self.producer)

    def applied(self, upstream: str) -> int:
        """Every event of `upstream` up to here is applied by every effects."""
        return min(positions.get(upstream, 0) for positions in self.positions)

    def _read_positions(self) -> list[dict[str, int]]:
        return [
            {u: effects.position(u) for u in self.upstreams.values()} for effects in self.effects
        ]

    async def prepare(self) -> JetStreamContext.PullSubscription:
        """(Re)create the durable consumer so delivery resumes in stream order, just after
        its ack floor: messages a dead process fetched but never acked arrive again first,
        in order, and whatever was already applied is dropped by its position (decision
        2). An effects behind the ack floor (new to the producer, or restored) has the
        stream delivered again from its start (decision 24).
        """
        await ensure_stream(self.js, producer_stream_config(self.producer, self.settings))
        self.positions = await asyncio.to_thread(self._read_positions)
        start = 0
        try:
            info = await self.js.consumer_info(self.stream, self.durable)
            start = info.ack_floor.stream_seq if info.ack_floor else 0
            await self.js.delete_consumer(self.stream, self.durable)
        except nats.js.errors.NotFoundError:
            pass
        if start and await self._behind(start):
            start = 0
        config = ConsumerConfig(
            durable_name=self.durable,
            filter_subject=stream_subjects(self.producer, self.settings.namespace)[0],
            ack_policy=AckPolicy.ALL,  # acking a batch's last message acks the batch
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE if start else DeliverPolicy.ALL,
            opt_start_seq=start + 1 if start else None,
            ack_wait=self.settings.consumer_ack_wait,
            max_ack_pending=self.settings.consumer_batch * 4,
            max_deliver=-1,
        )
        await self.js.add_consumer(self.stream, config)
        for effects, positions in zip(self.effects, self.positions, strict=True):
            for upstream, position in positions.items():
                effects.progress.advance(upstream, position)
                effects.progress.own(upstream)
        self.next_delivery = 1
        return await self.js.pull_subscribe_bind(self.durable, self.stream)

    async def _behind(self, stream_seq: int) -> bool:
        """Whether an effects has applied nothing at all, or less of the acked message's
        partition than that message (then the stream is delivered from its start)."""
        if any(not any(positions.values()) for positions in self.positions):
            return True
        with contextlib.suppress(nats.errors.Error, KeyError, ValueError, TypeError):
            stored = await self.js.get_msg(self.stream, stream_seq)
            upstream = self.upstreams.get(self._partition_of(stored.subject or ""), "")
            position = int((stored.headers or {})[POSITION_HEADER])
            return bool(upstream) and any(p.get(upstream, 0) < position for p in self.positions)
        return True

    async def run(self) -> None:
        """Fetch and handle until stopped; any broken delivery ends the run (and re-prepares).

        While more messages wait behind a batch (a backlog), the next fetch runs while the
        batch is applied."""
        sub = await self.prepare()
        ahead: asyncio.Task[list[Msg]] | None = None
        try:
            while not self.stopping:
                try:
                    msgs = await (ahead or self.fetch(sub))
                except (TimeoutError, nats.errors.TimeoutError):
                    ahead = None
                    await self.flush_skips(idle=True)
                    continue
                ahead = None
                if msgs[-1].metadata.num_pending:
                    ahead = asyncio.create_task(self.fetch(sub))
                self.handling = True
                try:
                    await self.handle(msgs)
                finally:
                    self.handling = False
        finally:
            if ahead is not None:
                ahead.cancel()
                with contextlib.suppress(BaseException):
                    await ahead
            for effects in self.effects:
                for upstream in self.upstreams.values():
                    effects.progress.release(upstream)
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def fetch(self, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        """Wait for one message, then take what is already pending, up to a batch.

        A long-polling `fetch(batch > 1)` in nats-py 2.16 can leave an orphaned pull
        request behind after a client-side timeout, and a later message may then sit in
        it until that request expires; waiting for a single message avoids it.
        """
        waiting = FLUSH_SKIPS_AFTER if self._skipping() else None
        msgs = list(await sub.fetch(1, timeout=waiting or FETCH_TIMEOUT))
        pending = msgs[-1].metadata.num_pending if msgs else 0
        if pending and self.settings.consumer_batch > 1:
            more = min(self.settings.consumer_batch - 1, pending)
            with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
                msgs.extend(await sub.fetch(more, timeout=FETCH_TIMEOUT))
        return msgs

    def _skipping(self) -> bool:
        return any(
            effects.skips.age(upstream) is not None
            for effects in self.effects
            for upstream in self.upstreams.values()
        )

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

    @staticmethod
    def _partition_of(subject: str) -> int:
        """`<namespace>.<producer>.<partition>.<EventName>` → partition (-1 if none)."""
        parts = subject.rsplit(".", 2)
        return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else -1

    async def handle(self, msgs: Sequence[Msg]) -> None:
        self.check_deliveries(msgs)
        by_upstream: dict[str, list[Envelope]] = {}
        for msg in msgs:
            partition = self._partition_of(msg.subject)
            upstream = self.upstreams.get(partition)
            if upstream is None and partition >= 0:
                continue  # another replica's partition
            try:
                if upstream is None:
                    raise ContractError(f"no partition in the subject {msg.subject}")
                event = parse_event(msg.data)
                if event.producer != self.producer:
                    raise ContractError(f"event of {event.producer} on {self.producer}'s stream")
            except ContractError as exc:
                if upstream is not None or self.settings.owns_partition(0):  # once per service
                    await self.dead_letter(msg, str(exc))
                continue
            if event.position <= self.applied(upstream):
                self._duplicates.inc()
                continue
            by_upstream.setdefault(upstream, []).append(event)
        if by_upstream:
            rejections = await self._apply_batch(by_upstream)
            for effects, positions in zip(self.effects, self.positions, strict=True):
                for upstream in by_upstream:
                    effects.progress.advance(upstream, positions.get(upstream, 0))
            self._applied.inc(sum(len(events) for events in by_upstream.values()))
            await self.reject(rejections)
        self.batches += 1
        crash_point(self.settings.fault, "exit_after_commit", self.batches)
        await msgs[-1].ack()
        await self.flush_skips(idle=False)

    async def _apply_batch(
        self, by_upstream: dict[str, list[Envelope]]
    ) -> list[tuple[int, Rejection]]:
        """A small batch in one worker thread (one transaction for all its partitions); a
        large one (a backlog) partition by partition in parallel threads, so that one
        partition's reads overlap another's."""
        if len(by_upstream) == 1 or sum(map(len, by_upstream.values())) < PARALLEL_FROM:
            return await asyncio.to_thread(self._apply, by_upstream)
        parts = await asyncio.gather(
            *(asyncio.to_thread(self._apply, {u: events}) for u, events in by_upstream.items())
        )
        return [rejection for part in parts for rejection in part]

    def _apply(self, by_upstream: dict[str, list[Envelope]]) -> list[tuple[int, Rejection]]:
        """Each effects applies what it has not yet, every partition in one transaction
        where it can (in a worker thread)."""
        rejections: list[tuple[int, Rejection]] = []
        for index, effects in enumerate(self.effects):
            todo: dict[str, list[Envelope]] = {}
            for upstream, events in by_upstream.items():
                done = self.positions[index].get(upstream, 0)
                if pending := [e for e in events if e.position > done]:
                    todo[upstream] = pending
            for part in _slices(todo, SAVE_LIMIT):
                found = effects.apply_all(part)
                rejections.extend((index, rejection) for rejection in found)
                for upstream, pending in part.items():
                    self.positions[index][upstream] = pending[-1].position
        return rejections

    async def flush_skips(self, idle: bool) -> None:
        """Track skipped batches once idle, or once the oldest is `FLUSH_SKIPS_AFTER` old,
        so that a replica reading a partition's row from PostgreSQL sees it soon. The only
        replica, whose rows nobody reads while it runs, writes them every
        `FLUSH_SKIPS_ALONE_AFTER` while busy: each write is a transaction the next fetch
        waits for (decision 22)."""
        after = FLUSH_SKIPS_AFTER if self.settings.replicas > 1 else FLUSH_SKIPS_ALONE_AFTER
        for effects in self.effects:
            due = [
                upstream
                for upstream in self.upstreams.values()
                if (age := effects.skips.age(upstream)) is not None and (idle or age >= after)
            ]
            if due:
                await asyncio.to_thread(effects.flush, *due)

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


def _slices(todo: dict[str, list[Envelope]], size: int) -> Iterator[dict[str, list[Envelope]]]:
    """`todo` in rounds of at most `size` events per upstream, in order."""
    longest = max(map(len, todo.values()), default=0)
    for start in range(0, longest, size):
        yield {u: events[start : start + size] for u, events in todo.items() if events[start:]}


class ConsumerGroup:
    """Every consumer of one process (one per upstream producer), started and stopped together."""

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
            ProducerConsumer(service, producer, effects, js, settings)
            for producer, effects in by_producer.items()
        ]
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._supervise(c)) for c in self.consumers]

    async def _supervise(self, consumer: ProducerConsumer) -> None:
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
