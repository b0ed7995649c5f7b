"""Subscriptions of one service to one producer share its durable consumers."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from psycopg import Cursor
from psycopg.rows import DictRow

from contracts.payments import PaymentPosted
from contracts.subjects import partition_of, upstream_name
from kabinet.consumer import ConsumerGroup, Subscription
from kabinet.effects import ProjectionEffects, wait_for_position
from kabinet.settings import Settings
from tests.integration.helpers import (
    AccountProjections,
    jetstream,
    payments_event,
    publish_as_producer,
)

pytestmark = pytest.mark.integration

MSISDN = "79001112233"


def posted(position: int) -> PaymentPosted:
    event: PaymentPosted = payments_event(
        PaymentPosted,
        MSISDN,
        position,
        payment_id=f"p{position}",
        amount_kopecks=100_00,
        balance_kopecks=position * 100_00,
    )
    return event


class Seen:
    """A read model that records, per projection, every position it applied."""

    def __init__(self, store: AccountProjections) -> None:
        self.store = store
        store.setup("CREATE TABLE IF NOT EXISTS {schema}.seen (projection text, position bigint)")

    def effects(self, name: str) -> ProjectionEffects:
        def record(cur: Cursor[DictRow], event: PaymentPosted) -> None:
            cur.execute(
                f'INSERT INTO "{self.store.schema}".seen VALUES (%s, %s)', (name, event.position)
            )

        return ProjectionEffects(self.store, name, {"PaymentPosted": record})

    def positions(self, name: str) -> list[int]:
        rows = self.store.query(
            "SELECT position FROM {schema}.seen WHERE projection = %s ORDER BY position", (name,)
        )
        return [row["position"] for row in rows]


async def consume(
    settings: Settings, effects: Sequence[ProjectionEffects], until: int
) -> ConsumerGroup:
    """Run one service's consumers of PAYMENTS until every effects applied `until`."""
    upstream = upstream_name("payments", partition_of(MSISDN, settings.partitions))
    async with jetstream(settings) as (_, js):
        group = ConsumerGroup(
            "sharing", [Subscription("payments", e) for e in effects], js, settings
        )
        group.start()
        try:
            for each in effects:
                assert await wait_for_position(each, upstream, until, timeout=30)
        finally:
            await group.stop()
    return group


async def test_two_effects_of_one_service_share_one_durable_and_apply_each_event_once(
    settings: Settings,
) -> None:
    seen = Seen(AccountProjections(settings))
    first, second = seen.effects("first"), seen.effects("second")
    async with jetstream(settings) as (_, js):
        for position in (1, 2, 3):
            await publish_as_producer(js, settings, posted(position))

    group = await consume(settings, [first, second], until=3)

    assert [c.durable for c in group.consumers] == ["sharing-payments"]  # one, not one each
    assert seen.positions("first") == [1, 2, 3]
    assert seen.positions("second") == [1, 2, 3]


async def test_an_effects_added_later_gets_the_partition_from_its_start(
    settings: Settings,
) -> None:
    seen = Seen(AccountProjections(settings))
    async with jetstream(settings) as (_, js):
        for position in (1, 2, 3):
            await publish_as_producer(js, settings, posted(position))
    await consume(settings, [seen.effects("old")], until=3)  # acked up to 3

    async with jetstream(settings) as (_, js):
        await publish_as_producer(js, settings, posted(4))
    await consume(settings, [seen.effects("old"), seen.effects("new")], until=4)

    assert seen.positions("old") == [1, 2, 3, 4]  # the replay did not apply 1-3 again
    assert seen.positions("new") == [1, 2, 3, 4]
