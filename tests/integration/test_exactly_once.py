"""Exactly once, end to end: crashes of the relay and of a consumer, a NATS restart."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time

import pytest
from eventsourcing.persistence import Tracking
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.subjects import stream_name
from kabinet.eventstore import RELAY_TRACKING, persistence_env
from kabinet.relay import TRACK_EVERY, OutboxRelay
from kabinet.settings import Settings
from services.account import publishing
from services.account.application import AccountApplication
from services.account.domain import Subscriber
from suite.servers import EmbeddedNats
from suite.testing import in_process, spawn, wait_until
from tests.integration.helpers import (
    AccountProjections,
    bulk_top_ups,
    jetstream,
    numbers,
    open_balances,
    stream_positions,
    top_up_round_robin,
)

pytestmark = pytest.mark.integration


async def test_a_relay_killed_mid_publish_leaves_each_event_in_the_stream_exactly_once(
    settings: Settings,
) -> None:
    app = AccountApplication(env=persistence_env(settings, "account"))
    people = [Subscriber.activate(m, "Пётр Ильич Белов", "moscow", "smart") for m in numbers(2000)]
    for start in range(0, len(people), 500):
        app.save(*people[start : start + 500])
    last = app.recorder.max_notification_id()

    crashing = spawn(
        "account", settings, KABINET_RELAY_BATCH="200", KABINET_FAULT="exit_after_publish:3"
    )
    assert await asyncio.to_thread(crashing.wait, 120) == 137
    async with jetstream(settings) as (_, js):
        published_before_restart = len(await stream_positions(js, "account", settings))
        assert published_before_restart == 600  # three batches out
        assert app.tracked_position(RELAY_TRACKING) < 600  # the row is behind the stream

        restarted = spawn("account", settings, KABINET_RELAY_BATCH="200")
        try:

            async def relayed_all() -> bool:
                return await asyncio.to_thread(app.tracked_position, RELAY_TRACKING) == last

            await wait_until(relayed_all)
        finally:
            restarted.terminate()
            await asyncio.to_thread(restarted.wait, 30)
        positions = await stream_positions(js, "account", settings)
    assert len(positions) == 2000
    assert sorted(positions) == list(range(1, 2001))


async def test_a_relay_allowed_fewer_publishes_in_flight_than_its_batch_still_publishes_all(
    settings: Settings,
) -> None:
    """Every `relay_in_flight` messages the relay waits for the stream's ack."""
    narrow = settings.model_copy(update={"relay_in_flight": 7, "relay_batch": 100})
    async with in_process(narrow, "account") as stack:
        app: AccountApplication = stack.app_of("account")
        people = [Subscriber.activate(m, "Анна Котова", "moscow", "smart") for m in numbers(250)]
        app.save(*people)
        last = app.recorder.max_notification_id()

        async def relayed_all() -> bool:
            return await asyncio.to_thread(app.tracked_position, RELAY_TRACKING) == last

        await wait_until(relayed_all)
    async with jetstream(settings) as (_, js):
        assert await stream_positions(js, "account", settings) == list(range(1, 251))


class LosesOnePublish:
    """A NATS client that loses one plain publish on its way, as a broken link might."""

    def __init__(self, nc: Client, lost: int) -> None:
        self.nc = nc
        self.lost = lost
        self.publishes = 0

    def jetstream(self) -> JetStreamContext:
        return self.nc.jetstream()

    async def publish(self, subject: str, payload: bytes, headers: dict[str, str]) -> None:
        self.publishes += 1
        if self.publishes != self.lost:
            await self.nc.publish(subject, payload, headers=headers)


async def test_a_message_lost_inside_a_batch_fails_the_batch_and_is_published_again_in_order(
    settings: Settings,
) -> None:
    """Only each batch's last publish is acked: the chain makes that ack cover the rest."""
    app = AccountApplication(env=persistence_env(settings, "account"))
    people = [Subscriber.activate(m, "Анна Котова", "moscow", "smart") for m in numbers(300)]
    app.save(*people)
    last = app.recorder.max_notification_id()
    batched = settings.model_copy(update={"relay_batch": 100})
    async with jetstream(settings) as (nc, js):
        lossy = LosesOnePublish(nc, lost=150)
        relay = OutboxRelay("account", app, publishing.to_public, lossy, batched)  # type: ignore[arg-type]
        task = asyncio.create_task(relay.run())
        try:

            async def relayed_all() -> bool:
                if task.done():
                    task.result()
                return relay.position == last

            await wait_until(relayed_all)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        assert lossy.publishes > 297  # the second batch went out twice
        assert await stream_positions(js, "account", settings) == list(range(1, 301))
    app.close()


async def test_a_consumer_killed_between_commit_and_ack_applies_every_effect_once(
    settings: Settings,
) -> None:
    msisdns = numbers(20)
    async with in_process(settings, "payments") as stack:
        app = stack.app_of("payments")
        open_balances(app, msisdns)
        last = top_up_round_robin(app, msisdns, rounds=10, settings=settings)

        crashing = spawn(
            "account", settings, KABINET_CONSUMER_BATCH="7", KABINET_FAULT="exit_after_commit:2"
        )
        assert await asyncio.to_thread(crashing.wait, 120) == 137

        store = AccountProjections(settings)
        restarted = spawn("account", settings, KABINET_CONSUMER_BATCH="7")
        try:

            async def caught_up() -> bool:
                positions = {u: store.position("last_topup", u) for u in last}
                return positions == last

            await wait_until(caught_up)
        finally:
            restarted.terminate()
            await asyncio.to_thread(restarted.wait, 30)

    rows = store.query(
        "SELECT msisdn, topups, total_kopecks, out_of_order FROM {schema}.last_topup"
    )
    assert len(rows) == 20
    expected_total = sum(100_00 + r for r in range(10))
    for row in rows:
        assert (row["topups"], row["total_kopecks"], row["out_of_order"]) == (10, expected_total, 0)


async def test_relay_and_consumers_catch_up_by_themselves_after_nats_restarts(
    settings: Settings, tmp_path: object
) -> None:
    from pathlib import Path

    nats_server = EmbeddedNats(Path(str(tmp_path)) / "js").start()
    local = settings.model_copy(update={"nats_url": nats_server.url})
    msisdns = numbers(10)
    try:
        async with in_process(local, "account", "payments") as stack:
            app = stack.app_of("payments")
            open_balances(app, msisdns)
            top_up_round_robin(app, msisdns, rounds=3, settings=local)
            await asyncio.to_thread(nats_server.restart)
            last = await asyncio.to_thread(top_up_round_robin, app, msisdns, 3, local, "b")
            store = AccountProjections(local)

            async def caught_up() -> bool:
                return {u: store.position("last_topup", u) for u in last} == last

            await wait_until(caught_up)
            rows = store.query("SELECT topups FROM {schema}.last_topup")
    finally:
        nats_server.stop()
    assert sorted(r["topups"] for r in rows) == [6] * 10


async def test_sigterm_lets_a_consumer_finish_and_ack_what_it_applied(settings: Settings) -> None:
    from contracts.subjects import stream_name, upstream_name

    async with in_process(settings, "payments") as stack:
        bulk_top_ups(stack.app_of("payments"), numbers(100), rounds=20)
        store = AccountProjections(settings)
        upstreams = [upstream_name("payments", p) for p in range(settings.partitions)]
        consumer = spawn("account", settings, KABINET_CONSUMER_BATCH="20")

        async def started() -> bool:
            return any(store.position("last_topup", u) for u in upstreams)

        await wait_until(started)
        consumer.terminate()
        # uvicorn shuts down gracefully, then re-raises SIGTERM as its exit status.
        assert await asyncio.to_thread(consumer.wait, 60) == -signal.SIGTERM

    stream = stream_name("payments", settings.namespace)
    acked: dict[str, int] = {}  # per partition, the last position at or below the ack floor
    async with jetstream(settings) as (_, js):
        info = await js.consumer_info(stream, "account-payments")
        for seq in range(1, info.ack_floor.stream_seq + 1):
            msg = await js.get_msg(stream, seq)
            partition = int((msg.subject or "").split(".")[-2])
            acked[upstream_name("payments", partition)] = int(
                (msg.headers or {})["Kabinet-Position"]
            )
    applied = {u: store.position("last_topup", u) for u in upstreams}
    assert any(applied.values())
    for upstream, position in applied.items():
        assert acked.get(upstream, 0) >= position


async def test_a_trickle_of_saves_writes_the_relay_tracking_row_seldom_and_idle_catches_up(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each save is published on its own, but the row is written at most every
    TRACK_EVERY seconds while busy (not once per batch), and once the log is idle."""
    slow_idle = settings.model_copy(update={"relay_idle_poll": 1.0})  # idle only at the end
    async with in_process(slow_idle, "account") as stack:
        app: AccountApplication = stack.app_of("account")
        writes: list[int] = []
        insert_tracking = app.process_recorder.insert_tracking

        def counted(tracking: Tracking) -> None:
            writes.append(tracking.notification_id)
            insert_tracking(tracking)

        monkeypatch.setattr(app.process_recorder, "insert_tracking", counted)
        people = [Subscriber.activate(m, "Олег Сидоров", "moscow", "smart") for m in numbers(30)]
        stream = stream_name("account", settings.namespace)
        async with jetstream(settings) as (_, js):
            started = time.monotonic()
            for published, person in enumerate(people, 1):
                app.save(person)

                async def out(count: int = published) -> bool:
                    return (await js.stream_info(stream)).state.messages == count

                await wait_until(out)
            busy = time.monotonic() - started
        trickle = len(writes)
        last = app.recorder.max_notification_id()

        async def caught_up() -> bool:
            return await asyncio.to_thread(app.tracked_position, RELAY_TRACKING) == last

        await wait_until(caught_up)
    assert trickle <= busy / TRACK_EVERY + 2  # one write per save would be 30
    assert writes[-1] == last
