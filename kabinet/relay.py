"""Outbox relay: tails a service's notification log and publishes its public events.

Each notification goes to JetStream with `Nats-Msg-Id: <namespace>:<service>:<id>`
(server-side dedup), `Kabinet-Position`, and a chain header naming its predecessor: the
stream stores events in log order only, and one ack confirms a batch (decisions 12, 30).
One replica at a time leads, by a PostgreSQL advisory lock (decision 4); the leader
publishes its own process's saves as they are handed over and reads the log for the rest
(decision 31). Progress is the later of the stream's last message of ours and a tracking
row written beside the publishing; the dedup window absorbs a re-publish (decisions 10,
12, 35).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from uuid import UUID

import nats.errors
import nats.js.errors
import psycopg
import structlog
from eventsourcing.persistence import Recording, Tracking
from nats.aio.client import Client as NATS

from contracts.envelope import Envelope
from contracts.subjects import partition_of, stream_name, subject
from kabinet import metrics
from kabinet.context import CORRELATION_HEADER
from kabinet.domain import stable_id
from kabinet.eventstore import RELAY_TRACKING, KabinetApplication, schema_name
from kabinet.faults import crash_point
from kabinet.settings import Settings
from kabinet.streams import ensure_stream, producer_stream_config

log = structlog.get_logger("kabinet.relay")

POSITION_HEADER = "Kabinet-Position"
MSG_ID_HEADER = "Nats-Msg-Id"
EXPECTED_LAST_MSG_ID_HEADER = "Nats-Expected-Last-Msg-Id"
EXPECTED_LAST_SEQUENCE_HEADER = "Nats-Expected-Last-Sequence"
# The longest wait for the stream's ack of a batch before the relay re-reads where the
# stream ends and goes on from there. A false alarm only costs a re-sync.
ACK_TIMEOUT = 3.0
TRACK_EVERY = 0.2  # seconds between tracking rows while busy
YIELD_EVERY = 64  # publishes between turns of the loop (the client writes meanwhile)
PENDING_LIMIT = 4  # batches of saved events kept for publishing before the log serves them
IDLE_POLL_LONGEST = 1.0  # seconds: a single replica's idle polls back off up to this
OURS_WITHIN = 100  # last messages of the stream looked through for the relay's own last

# Maps one stored domain event (and its notification id) to its public event, or None.
EventMapper = Callable[[Any, int], Envelope | None]
# What is published for one event: subject, payload, headers.
Message = tuple[str, bytes, dict[str, str]]


class OutboxRelay:
    def __init__(
        self,
        service: str,
        app: KabinetApplication,
        mapper: EventMapper,
        nc: NATS,
        settings: Settings,
    ) -> None:
        self.service = service
        self.app = app
        self.mapper = mapper
        self.nc = nc
        self.js = nc.jetstream()
        self.settings = settings
        self.id_prefix = f"{settings.namespace}:{service}:"  # + position: a Nats-Msg-Id
        self.position = 0
        self.tracked = 0  # the tracking row as last written
        self._tracked_at = 0.0
        self._tracking: asyncio.Task[None] | None = None  # the row's write under way
        self.is_leader = False
        self.batches = 0
        self.expected_last_id: str | None = None
        self.idle_wait = settings.relay_idle_poll  # seconds until the next poll when idle
        self._wake = asyncio.Event()
        self._saved: deque[Recording[UUID]] = deque()  # appended by saving threads
        self._pending: dict[int, Any] = {}  # notification id → domain event, from saves
        self._loop: asyncio.AbstractEventLoop | None = None
        self._published = metrics.RELAY_PUBLISHED.labels(service)

    def wake(self) -> None:
        """Thread-safe: new events were saved in this process."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def saved(self, recordings: list[Recording[UUID]]) -> None:
        """Thread-safe: this process committed `recordings`; a leader keeps them to
        publish without reading them back (`_from_saves`)."""
        if self.is_leader:
            self._saved.extend(recordings)
        self.wake()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.app.on_saved(self.saved)
        await ensure_stream(self.js, producer_stream_config(self.service, self.settings))
        try:
            while True:
                try:
                    await self._lead()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("relay_failed", service=self.service)
                    self.is_leader = False
                    self._saved.clear()
                    self._pending.clear()
                    await asyncio.sleep(1.0)
        finally:
            if self._tracking is not None:
                self._tracking.cancel()

    async def _lead(self) -> None:
        if not self.settings.database_url:
            self.is_leader = True
            await self._publish_forever()
            return
        lock_key = f"kabinet-relay:{schema_name(self.service, self.settings.namespace)}"
        async with await psycopg.AsyncConnection.connect(
            self.settings.database_url, autocommit=True
        ) as conn:
            while True:
                row = await (
                    await conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (lock_key,))
                ).fetchone()
                if row and row[0]:
                    break
                await asyncio.sleep(1.0)  # poll: another replica leads
            self.is_leader = True
            log.info("relay_leading", service=self.service)
            await self._publish_forever()

    async def _publish_forever(self) -> None:
        await self._resync()
        while True:
            self._wake.clear()
            try:
                read = await self.publish_available()
            except (nats.errors.Error, TimeoutError) as exc:
                # The chain broke somewhere in the batch: nothing after the break was
                # stored. Learn where the stream really ends and go on from there.
                log.warning("relay_batch_failed", service=self.service, error=str(exc))
                await asyncio.sleep(0.2)  # poll: let a reconnect happen
                await self._resync()
                continue
            if read:
                self.idle_wait = self.settings.relay_idle_poll
            if time.monotonic() - self._tracked_at >= TRACK_EVERY:
                self._track_soon()
            if read < self.settings.relay_batch and not self._pending:
                # The log held no more when it was read: wait for a save in this process
                # (one made since the read has already set the event), else poll.
                try:
                    await asyncio.wait_for(self._wake.wait(), self.idle_wait)
                except TimeoutError:
                    self._track_soon()  # idle: the row catches up now
                    if self.settings.replicas == 1:
                        # The only writer: its own saves wake it, so polling is only for
                        # writes from outside the service (tools, tests).
                        self.idle_wait = min(self.idle_wait * 2, IDLE_POLL_LONGEST)

    async def _resync(self) -> None:
        """Position = the later of our tracking row and the last of our ids in the stream;
        the chain goes on from the stream's last message, whoever published it."""
        tracked = await asyncio.to_thread(self.app.tracked_position, RELAY_TRACKING)
        self.expected_last_id, in_stream = await self._stream_end()
        self.tracked = tracked
        self.position = max(tracked, in_stream)

    async def _stream_end(self) -> tuple[str | None, int]:
        """The id of the stream's last message, and the position of the last message of
        ours. A message someone else put on our subjects (a dead letter replayed by hand)
        may stand after ours: up to `OURS_WITHIN` messages are looked through for it, so
        that what the stream holds is not published again (its copies would be answered
        as duplicates and never move the chain on)."""
        stream = stream_name(self.service, self.settings.namespace)
        info = await self.js.stream_info(stream)
        last_seq, first_seq = info.state.last_seq, info.state.first_seq
        if not last_seq:
            return None, 0
        last_id: str | None = None
        for seq in range(last_seq, max(first_seq, last_seq - OURS_WITHIN + 1) - 1, -1):
            try:
                msg = await self.js.get_msg(stream, seq)
            except nats.js.errors.NotFoundError:
                continue  # removed from the stream
            msg_id: str = (msg.headers or {}).get(MSG_ID_HEADER, "")
            if last_id is None:
                last_id = msg_id
            if msg_id.startswith(self.id_prefix):
                return last_id, int(msg_id.removeprefix(self.id_prefix))
        return last_id, 0

    async def publish_available(self) -> int:
        """Publish what the log holds after our position; returns how many were read."""
        events = self._from_saves()
        if not events:
            notifications = await asyncio.to_thread(
                self.app.recorder.select_notifications,
                self.position + 1,
                self.settings.relay_batch,
            )
            to_domain_event = self.app.mapper.to_domain_event
            events = [(n.id, to_domain_event(n)) for n in notifications]
        if not events:
            return 0
        messages = [m for m in (self._message(*e) for e in events) if m is not None]
        in_flight = self.settings.relay_in_flight
        for i, message in enumerate(messages, 1):
            if i == len(messages) or i % in_flight == 0:
                await self._confirm(message)
            else:
                subject_, payload, headers = message
                await self.nc.publish(subject_, payload, headers=headers)
                if i % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # let the client flush meanwhile
        self.batches += 1
        crash_point(self.settings.fault, "exit_after_publish", self.batches)
        self.position = events[-1][0]
        self._published.inc(len(messages))
        self._forget_published()
        return len(events)

    def _from_saves(self) -> list[tuple[int, Any]]:
        """Events of this process's saves that continue the log right after our position,
        in order, up to a batch. Notification ids are unique, so a run of them from
        position + 1 is exactly what the log holds there. Empty when the next id is not
        among them (another process saved it, a failed save used it up, or its saving
        thread has not told us yet): the log is read then."""
        pending = self._pending
        while self._saved:
            recording = self._saved.popleft()
            pending[recording.notification.id] = recording.domain_event
        self._forget_published()
        if len(pending) > PENDING_LIMIT * self.settings.relay_batch:
            pending.clear()  # far behind: the log serves it
        run: list[tuple[int, Any]] = []
        next_id = self.position + 1
        while next_id in pending and len(run) < self.settings.relay_batch:
            run.append((next_id, pending.pop(next_id)))
            next_id += 1
        return run

    def _forget_published(self) -> None:
        """Drop saved events at or before our position: the log served them first (their
        saving thread told us late), or a re-sync moved past them. Kept, they would keep
        the relay from ever waiting: it reads the log again at once while any are held."""
        if self._pending:
            for published in [i for i in self._pending if i <= self.position]:
                del self._pending[published]

    async def _confirm(self, message: Message) -> None:
        """Publish `message` and wait for the stream's ack, which confirms the messages
        published before it too: each names its predecessor (`_message`), so the stream
        stores one only right after the one before, and refuses every message after one
        it did not store. A refusal raises, and the relay re-reads where the stream ends."""
        subject_, payload, headers = message
        await self.js.publish(subject_, payload, timeout=ACK_TIMEOUT, headers=headers)

    def _track_soon(self) -> None:
        """Start writing the tracking row, unless a write is under way: publishing goes
        on meanwhile (decision 35)."""
        if self._tracking is None or self._tracking.done():
            self._tracked_at = time.monotonic()
            self._tracking = asyncio.create_task(self._track())

    async def _track(self) -> None:
        """Write the tracking row up to what JetStream acknowledged: when idle, else at
        most every `TRACK_EVERY` seconds, as the stream's last message names our position
        too (`_resync` takes the later of the two). A failed write is tried again at the
        next turn (decision 35)."""
        if self.position > self.tracked:
            position = self.position
            try:
                await asyncio.to_thread(
                    self.app.process_recorder.insert_tracking,
                    Tracking(RELAY_TRACKING, position),
                )
            except Exception as exc:
                log.warning("relay_tracking_failed", service=self.service, error=str(exc))
                return
            self.tracked = max(self.tracked, position)

    def _message(self, position: int, domain_event: Any) -> Message | None:
        """One event's subject, payload and headers, chained to the event before it.

        `Nats-Expected-Last-Msg-Id` makes the stream refuse an event whose
        predecessor is not the stream's last message, so a failed publish can
        never be overtaken by a later one (the server checks dedup first, so
        re-publishing what is already stored is answered as a duplicate).
        """
        event = self.mapper(domain_event, position)
        if event is None:
            return None
        msg_id = f"{self.id_prefix}{position}"
        partition = partition_of(event.partition_key, self.settings.partitions)
        headers = {
            MSG_ID_HEADER: msg_id,
            POSITION_HEADER: str(position),
            CORRELATION_HEADER: event.correlation_id,
        }
        if self.expected_last_id is None:
            headers[EXPECTED_LAST_SEQUENCE_HEADER] = "0"
        else:
            headers[EXPECTED_LAST_MSG_ID_HEADER] = self.expected_last_id
        self.expected_last_id = msg_id
        return (
            subject(self.service, partition, event.type, self.settings.namespace),
            event.model_dump_json().encode(),
            headers,
        )


def envelope_fields(domain_event: Any, position: int, producer: str) -> dict[str, Any]:
    """The envelope part of a public event, derived from a stored domain event."""
    return {
        "event_id": stable_id(
            producer, str(domain_event.originator_id), str(domain_event.originator_version)
        ),
        "occurred_at": domain_event.timestamp,
        "position": position,
        "correlation_id": getattr(domain_event, "correlation_id", ""),
        "causation_id": getattr(domain_event, "causation_id", ""),
    }
