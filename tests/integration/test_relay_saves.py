"""A leading relay publishes its own process's saves from what the saves hand it, and
reads the log only for what they leave out."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from contracts.subjects import subject
from kabinet import relay as relay_module
from kabinet.eventstore import RELAY_TRACKING, persistence_env
from kabinet.relay import IDLE_POLL_LONGEST, MSG_ID_HEADER, POSITION_HEADER, OutboxRelay
from kabinet.settings import Settings
from services.account import publishing
from services.account.application import AccountApplication
from services.account.domain import Subscriber
from suite.testing import wait_until
from tests.integration.helpers import jetstream, numbers, stream_positions

pytestmark = pytest.mark.integration


class CountingReads:
    """The recorder's log reads, counted."""

    def __init__(self, app: AccountApplication) -> None:
        self.reads = 0
        self._select = app.recorder.select_notifications
        app.recorder.select_notifications = self.select  # type: ignore[method-assign]

    def select(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return self._select(*args, **kwargs)


@contextlib.asynccontextmanager
async def leading_relay(
    settings: Settings, app: AccountApplication, **overrides: Any
) -> AsyncIterator[OutboxRelay]:
    # By default no polling while idle: every read of the log is one the relay chose.
    tuned = settings.model_copy(update={"relay_idle_poll": 60.0, **overrides})
    async with jetstream(settings) as (nc, _):
        relay = OutboxRelay("account", app, publishing.to_public, nc, tuned)
        task = asyncio.create_task(relay.run())
        try:

            async def leading() -> bool:
                if task.done():
                    task.result()
                return relay.is_leader

            await wait_until(leading)
            yield relay
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@pytest.fixture
def app(settings: Settings) -> Iterator[AccountApplication]:
    found = AccountApplication(env=persistence_env(settings, "account"))
    yield found
    found.close()


@pytest.fixture
def reads(app: AccountApplication) -> CountingReads:
    return CountingReads(app)


async def published(relay: OutboxRelay, position: int, timeout: float = 60.0) -> None:
    async def there() -> bool:
        return relay.position >= position

    await wait_until(there, timeout)


async def test_a_leader_publishes_its_own_saves_without_reading_them_back(
    settings: Settings, app: AccountApplication, reads: CountingReads
) -> None:
    async with leading_relay(settings, app) as relay:

        async def looked() -> bool:  # its first look at the log, before any save
            return reads.reads >= 1

        await wait_until(looked)
        before = reads.reads
        for msisdn in numbers(20):
            saved = await asyncio.to_thread(
                app.save, Subscriber.activate(msisdn, "Анна Котова", "moscow", "smart")
            )
            await published(relay, saved[-1].notification.id)
        assert reads.reads == before
    async with jetstream(settings) as (_, js):
        assert await stream_positions(js, "account", settings) == list(range(1, 21))


def use_up_an_id(app: AccountApplication) -> None:
    """What a save does that draws its ids and then does not commit (a lost connection)."""
    recorder = app.recorder
    table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute("SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))", (table,))


async def test_an_id_a_save_used_up_without_committing_is_read_past_in_the_log(
    settings: Settings, app: AccountApplication, reads: CountingReads
) -> None:
    first, second = numbers(2)
    async with leading_relay(settings, app) as relay:
        saved = app.save(Subscriber.activate(first, "Анна Котова", "moscow", "smart"))
        await published(relay, saved[-1].notification.id)
        before = reads.reads
        use_up_an_id(app)
        saved = app.save(Subscriber.activate(second, "Пётр Белов", "moscow", "smart"))
        after_gap = saved[-1].notification.id
        assert after_gap > 2
        await published(relay, after_gap)
        assert reads.reads > before  # the gap sent it to the log
    async with jetstream(settings) as (_, js):
        assert await stream_positions(js, "account", settings) == [1, after_gap]


async def test_a_save_handed_over_after_the_log_served_it_leaves_the_relay_waiting(
    settings: Settings, app: AccountApplication, reads: CountingReads
) -> None:
    """A saving thread may tell the relay of its save only after the relay has read and
    published it from the log. Held on to, such a save kept the relay reading the log
    over and over, with nothing new in it (an idle service spun a core)."""
    first, second = numbers(2)
    async with leading_relay(settings, app) as relay:
        outside = AccountApplication(env=persistence_env(settings, "account"))
        late = outside.save(Subscriber.activate(first, "Анна Котова", "moscow", "smart"))
        outside.close()
        relay.wake()  # it finds the save in the log
        await published(relay, late[-1].notification.id)
        relay.saved(late)  # … and hears of it from the saving thread only now

        async def let_go() -> bool:
            return not relay._saved and not relay._pending

        await wait_until(let_go)
        before = reads.reads
        saved = await asyncio.to_thread(
            app.save, Subscriber.activate(second, "Пётр Белов", "moscow", "smart")
        )
        await published(relay, saved[-1].notification.id)
        assert reads.reads == before  # waiting, not reading the log in a loop
    async with jetstream(settings) as (_, js):
        assert await stream_positions(js, "account", settings) == [1, 2]


async def test_the_relay_publishes_on_while_its_tracking_row_is_being_written(
    settings: Settings, app: AccountApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row is written beside the publishing: saves do not wait behind its transaction."""
    monkeypatch.setattr(relay_module, "TRACK_EVERY", 0.0)  # a write after every batch
    writing, done = threading.Event(), threading.Event()
    insert_tracking = app.process_recorder.insert_tracking

    def slow_insert(*args: Any, **kwargs: Any) -> Any:
        writing.set()
        done.wait(timeout=120)
        return insert_tracking(*args, **kwargs)

    monkeypatch.setattr(app.process_recorder, "insert_tracking", slow_insert)
    people = iter(numbers(4))
    async with leading_relay(settings, app) as relay:
        saved = app.save(Subscriber.activate(next(people), "Анна Котова", "moscow", "smart"))
        await published(relay, saved[-1].notification.id)
        await asyncio.to_thread(writing.wait, 30)  # its row's write now hangs
        try:
            for _ in range(3):
                saved = app.save(
                    Subscriber.activate(next(people), "Анна Котова", "moscow", "smart")
                )
                # well before the hanging write gives up
                await published(relay, saved[-1].notification.id, timeout=20)
            assert relay.tracked < relay.position
        finally:
            done.set()

        async def tracked() -> bool:
            relay.wake()  # a turn of its loop, which starts the next write once one ended
            return await asyncio.to_thread(app.tracked_position, RELAY_TRACKING) == 4

        await wait_until(tracked)


async def test_an_idle_single_replica_polls_less_and_less_yet_finds_a_write_from_outside(
    settings: Settings, app: AccountApplication, reads: CountingReads
) -> None:
    async with leading_relay(settings, app, relay_idle_poll=0.02, replicas=1) as relay:

        async def backed_off() -> bool:
            return relay.idle_wait == IDLE_POLL_LONGEST

        await wait_until(backed_off)
        assert reads.reads <= 8  # 0.02, 0.04, … 0.64, 1.0 s: not one poll per 0.02 s
        outside = AccountApplication(env=persistence_env(settings, "account"))
        saved = outside.save(Subscriber.activate(numbers(1)[0], "Анна Котова", "moscow", "smart"))
        await published(relay, saved[-1].notification.id)
        # It published, so it went back to 0.02 s (and may have doubled again since).
        assert relay.idle_wait < IDLE_POLL_LONGEST
        outside.close()


async def test_an_idle_relay_of_several_replicas_keeps_polling_at_the_set_interval(
    settings: Settings, app: AccountApplication, reads: CountingReads
) -> None:
    async with leading_relay(settings, app, relay_idle_poll=0.02, replicas=2) as relay:

        async def polled() -> bool:
            return reads.reads >= 20

        await wait_until(polled)
        assert relay.idle_wait == 0.02


async def test_a_message_put_on_the_stream_by_someone_else_does_not_stall_the_relay(
    settings: Settings, app: AccountApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Say an operator replays a dead letter onto the stream: the relay's next chained
    publish is refused, and it must go on after its own last message, not republish
    from its (lagging) tracking row what the stream holds already."""
    monkeypatch.setattr(relay_module, "TRACK_EVERY", 1e9)  # the row stays behind the stream
    people = iter(numbers(7))

    def save_next() -> int:
        saved = app.save(Subscriber.activate(next(people), "Анна Котова", "moscow", "smart"))
        return saved[-1].notification.id

    async with leading_relay(settings, app) as relay:
        for _ in range(6):
            await published(relay, save_next())
        async with jetstream(settings) as (nc, js):
            replayed = subject("account", 0, "SubscriberActivated", settings.namespace)
            headers = {MSG_ID_HEADER: "replayed-by-hand:1", POSITION_HEADER: "0"}
            await js.publish(replayed, b"{}", headers=headers)
            await published(relay, save_next())
            assert await stream_positions(js, "account", settings) == [1, 2, 3, 4, 5, 6, 0, 7]
