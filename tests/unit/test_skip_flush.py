"""When a consumer writes the positions of batches it skipped."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import pytest

from contracts.envelope import Envelope
from kabinet.consumer import FLUSH_SKIPS_AFTER, FLUSH_SKIPS_ALONE_AFTER, ProducerConsumer
from kabinet.effects import Progress, Rejection, Skips
from kabinet.settings import Settings


class CountingFlushes:
    """Effects whose skipped positions are noted with a chosen age; flushes counted."""

    def __init__(self) -> None:
        self.progress = Progress()
        self.skips = Skips()
        self.flushed: list[tuple[str, ...]] = []

    def skipped_ago(self, upstream: str, seconds: float) -> None:
        self.skips._pending[upstream] = (7, time.monotonic() - seconds)

    def position(self, upstream: str) -> int:
        return self.skips.position(upstream)

    def flush(self, *upstreams: str) -> None:
        self.flushed.append(upstreams)
        for upstream in upstreams:
            self.skips.clear(upstream)

    def apply(self, upstream: str, events: Sequence[Envelope]) -> list[Rejection]:
        return []

    def apply_all(self, batches: Mapping[str, Sequence[Envelope]]) -> list[Rejection]:
        return []


def consumer_of(effects: CountingFlushes, replicas: int) -> ProducerConsumer:
    settings = Settings(partitions=1, replicas=replicas, replica=0)
    return ProducerConsumer("account", "payments", [effects], js=None, settings=settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("replicas", [1, 2])
async def test_skips_are_written_at_once_when_the_consumer_is_idle(replicas: int) -> None:
    effects = CountingFlushes()
    effects.skipped_ago("payments:0", 0.0)
    await consumer_of(effects, replicas).flush_skips(idle=True)
    assert effects.flushed == [("payments:0",)]


async def test_a_busy_replica_of_several_writes_its_skips_once_they_are_a_moment_old() -> None:
    effects = CountingFlushes()
    consumer = consumer_of(effects, replicas=2)
    effects.skipped_ago("payments:0", FLUSH_SKIPS_AFTER / 2)
    await consumer.flush_skips(idle=False)
    assert effects.flushed == []
    effects.skipped_ago("payments:0", FLUSH_SKIPS_AFTER * 2)
    await consumer.flush_skips(idle=False)
    assert effects.flushed == [("payments:0",)]


async def test_a_busy_only_replica_writes_its_skips_far_less_often() -> None:
    effects = CountingFlushes()
    consumer = consumer_of(effects, replicas=1)
    effects.skipped_ago("payments:0", FLUSH_SKIPS_AFTER * 2)  # due for a replica of several
    await consumer.flush_skips(idle=False)
    assert effects.flushed == []
    effects.skipped_ago("payments:0", FLUSH_SKIPS_ALONE_AFTER + 0.1)
    await consumer.flush_skips(idle=False)
    assert effects.flushed == [("payments:0",)]
