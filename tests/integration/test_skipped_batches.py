"""How consumer effects track their position: skipped batches lazily, moves by compare-and-set."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from psycopg import Cursor
from psycopg.rows import DictRow

from contracts.payments import BalanceExhausted, PaymentPosted
from kabinet.domain import KabinetAggregate, stable_id
from kabinet.effects import ApplicationEffects, ProjectionEffects, UnitOfWork, wait_for_position
from kabinet.eventstore import KabinetApplication, persistence_env
from kabinet.settings import Settings
from tests.integration.helpers import AccountProjections, payments_event

pytestmark = pytest.mark.integration

UPSTREAM = "payments:3"
MSISDN = "79001234567"


def exhausted(position: int) -> BalanceExhausted:
    result: BalanceExhausted = payments_event(
        BalanceExhausted, MSISDN, position, balance_kopecks=-1
    )
    return result


def posted(position: int) -> PaymentPosted:
    result: PaymentPosted = payments_event(
        PaymentPosted,
        MSISDN,
        position,
        payment_id=f"p{position}",
        amount_kopecks=100_00,
        balance_kopecks=100_00,
    )
    return result


@pytest.fixture
def store(settings: Settings) -> AccountProjections:
    return AccountProjections(settings)


@pytest.fixture
def seen() -> list[int]:
    """Positions of the events the handler was called for."""
    return []


@pytest.fixture
def effects(store: AccountProjections, seen: list[int]) -> ProjectionEffects:
    """A consumer's effects that handle PaymentPosted only."""
    found = ProjectionEffects(
        store, "only_payments", {"PaymentPosted": lambda _cur, e: seen.append(e.position)}
    )
    found.store.setup()
    return found


async def test_a_batch_with_nothing_to_apply_is_remembered_and_written_once_on_flush(
    store: AccountProjections, effects: ProjectionEffects, seen: list[int]
) -> None:

    assert effects.apply(UPSTREAM, [exhausted(1), exhausted(2)]) == []
    assert effects.apply(UPSTREAM, [exhausted(3)]) == []

    assert store.position("only_payments", UPSTREAM) == 0  # nothing written yet
    assert effects.position(UPSTREAM) == 3  # but the consumer knows where it is
    assert effects.skips.age(UPSTREAM) is not None
    effects.progress.advance(UPSTREAM, 3)
    assert await wait_for_position(effects, UPSTREAM, 3, timeout=0)

    effects.flush(UPSTREAM)
    assert store.position("only_payments", UPSTREAM) == 3
    assert effects.skips.age(UPSTREAM) is None
    assert seen == []


async def test_a_batch_with_something_to_apply_tracks_past_the_skipped_ones(
    store: AccountProjections, effects: ProjectionEffects, seen: list[int]
) -> None:

    effects.apply(UPSTREAM, [exhausted(1)])
    effects.apply(UPSTREAM, [exhausted(1), posted(2), exhausted(3)])  # 1 again: a redelivery

    assert seen == [2]
    assert store.position("only_payments", UPSTREAM) == 3
    assert effects.skips.age(UPSTREAM) is None  # the batch's tracking row covers the skip


async def test_a_batch_another_writer_applied_meanwhile_is_not_applied_again(
    store: AccountProjections,
) -> None:
    store.setup("CREATE TABLE IF NOT EXISTS {schema}.applied (position bigint NOT NULL)")

    def record(cur: Cursor[DictRow], event: PaymentPosted) -> None:
        cur.execute(f'INSERT INTO "{store.schema}".applied VALUES (%s)', (event.position,))

    one = ProjectionEffects(store, "only_payments", {"PaymentPosted": record})
    other = ProjectionEffects(store, "only_payments", {"PaymentPosted": record})
    assert one.position(UPSTREAM) == 0 == other.position(UPSTREAM)  # both saw the row at 0

    other.apply(UPSTREAM, [posted(1), posted(2)])
    one.apply(UPSTREAM, [posted(1), posted(2), posted(3)])  # its try from 0 is refused

    applied = store.query("SELECT position FROM {schema}.applied ORDER BY position")
    assert [row["position"] for row in applied] == [1, 2, 3]  # each once
    assert store.position("only_payments", UPSTREAM) == 3


class Tally(KabinetAggregate):
    """Counts the events handed to it: applying one twice would show."""

    class Counted(KabinetAggregate.Event):
        position: int

        def apply(self, tally: Tally) -> None:
            tally.positions.append(self.position)

    def __init__(self) -> None:
        self.positions: list[int] = []

    @classmethod
    def open(cls) -> Tally:
        return cls._create(cls.Created, id=stable_id("tally", MSISDN))


class TallyApplication(KabinetApplication):
    name = "tally"


def count(uow: UnitOfWork, event: PaymentPosted) -> None:
    tally: Tally = uow.find(stable_id("tally", MSISDN)) or Tally.open()
    tally.trigger_event(Tally.Counted, position=event.position)
    uow.add(tally)


@pytest.fixture
def tally_app(settings: Settings) -> Iterator[TallyApplication]:
    app = TallyApplication(env=persistence_env(settings, "tally"))
    yield app
    app.close()


def counted(app: TallyApplication) -> list[int]:
    tally: Tally = app.repository.get(stable_id("tally", MSISDN))
    return tally.positions


async def test_an_application_batch_another_writer_applied_meanwhile_is_not_applied_again(
    tally_app: TallyApplication,
) -> None:
    one = ApplicationEffects(tally_app, {"PaymentPosted": count})
    other = ApplicationEffects(tally_app, {"PaymentPosted": count})
    assert one.position(UPSTREAM) == 0 == other.position(UPSTREAM)  # both saw the row at 0

    other.apply(UPSTREAM, [posted(1), posted(2)])
    one.apply(UPSTREAM, [posted(1), posted(2), posted(3)])  # its row in memory is stale

    assert counted(tally_app) == [1, 2, 3]  # each once
    assert tally_app.tracked_position(UPSTREAM) == 3


async def test_an_application_batch_that_changes_nothing_is_tracked_later_with_the_skips(
    tally_app: TallyApplication,
) -> None:
    effects = ApplicationEffects(
        tally_app, {"PaymentPosted": count, "BalanceExhausted": lambda _uow, _e: None}
    )

    effects.apply(UPSTREAM, [posted(1)])
    effects.apply(UPSTREAM, [exhausted(2), exhausted(3)])  # handled, but nothing changed

    assert tally_app.tracked_position(UPSTREAM) == 1
    assert effects.position(UPSTREAM) == 3
    effects.flush(UPSTREAM)
    assert tally_app.tracked_position(UPSTREAM) == 3
    effects.apply(UPSTREAM, [exhausted(3), posted(4)])
    assert counted(tally_app) == [1, 4]


async def test_skips_of_several_partitions_are_flushed_together_and_still_never_apply_twice(
    tally_app: TallyApplication,
) -> None:
    other_partition = "payments:4"
    effects = ApplicationEffects(
        tally_app, {"PaymentPosted": count, "BalanceExhausted": lambda _uow, _e: None}
    )
    effects.apply(UPSTREAM, [exhausted(1)])
    effects.apply(other_partition, [exhausted(1), exhausted(2)])

    effects.flush(UPSTREAM, other_partition)
    assert tally_app.tracked_position(UPSTREAM) == 1
    assert tally_app.tracked_position(other_partition) == 2

    other = ApplicationEffects(tally_app, {"PaymentPosted": count})
    other.apply(UPSTREAM, [posted(2)])  # another writer moves the flushed row on
    effects.apply(UPSTREAM, [posted(2), posted(3)])  # the row it knows is stale: refused, reread
    effects.apply(other_partition, [posted(3)])
    assert counted(tally_app) == [2, 3, 3]  # position 2 of UPSTREAM once; 3 of each partition
    assert tally_app.tracked_position(UPSTREAM) == 3
    assert tally_app.tracked_position(other_partition) == 3


async def test_a_projection_flushes_several_partitions_in_one_go(
    store: AccountProjections, effects: ProjectionEffects, seen: list[int]
) -> None:
    other_partition = "payments:4"
    effects.apply(UPSTREAM, [exhausted(1)])
    effects.apply(other_partition, [exhausted(1), exhausted(2)])

    effects.flush(UPSTREAM, other_partition)
    assert store.position("only_payments", UPSTREAM) == 1
    assert store.position("only_payments", other_partition) == 2

    effects.apply(other_partition, [posted(3)])
    assert seen == [3]
    assert store.position("only_payments", other_partition) == 3
