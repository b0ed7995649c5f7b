"""What a consumer knows in memory about where it is: committed positions and skips."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

from contracts.envelope import Envelope


class Progress:
    """Positions this process saw committed, per upstream; waiters wake as they move.

    The consumer that owns an upstream's partition advances it after each commit, so a
    read waiting on a consistency token in the same process wakes at once instead of
    polling PostgreSQL. Used from the event loop only.
    """

    def __init__(self) -> None:
        self._known: dict[str, int] = {}
        self._moved: dict[str, asyncio.Event] = {}
        self._owned: set[str] = set()

    def own(self, upstream: str) -> None:
        """A consumer of this process applies `upstream`: its progress is known here."""
        self._owned.add(upstream)

    def release(self, upstream: str) -> None:
        self._owned.discard(upstream)

    def owns(self, upstream: str) -> bool:
        return upstream in self._owned

    def reached(self, upstream: str, position: int) -> bool:
        return self._known.get(upstream, 0) >= position

    def advance(self, upstream: str, position: int) -> None:
        if position > self._known.get(upstream, 0):
            self._known[upstream] = position
            moved = self._moved.pop(upstream, None)
            if moved is not None:
                moved.set()

    async def moved(self, upstream: str, timeout: float) -> None:
        """Return when `upstream` advances, or after `timeout` seconds."""
        moved = self._moved.setdefault(upstream, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await moved.wait()


class Skips:
    """Positions of batches that held nothing for a consumer (no handler for any event).

    They are kept in memory and written to the tracking table later, in one write, instead
    of one transaction per batch: a consumer interested in few of a producer's event types
    would otherwise commit a tracking row for every batch of the others. Losing them in a
    crash costs only the redelivery of events that are skipped again.
    """

    def __init__(self) -> None:
        self._pending: dict[str, tuple[int, float]] = {}

    def note(self, upstream: str, position: int) -> None:
        before, since = self._pending.get(upstream, (0, time.monotonic()))
        self._pending[upstream] = (max(position, before), since)

    def skipped(
        self, handlers: Mapping[str, Any], upstream: str, events: Sequence[Envelope]
    ) -> bool:
        """Note `events` as skipped if none of them has a handler; whether they were."""
        if not events or any(event.type in handlers for event in events):
            return False
        self.note(upstream, events[-1].position)
        return True

    def position(self, upstream: str) -> int:
        return self._pending.get(upstream, (0, 0.0))[0]

    def age(self, upstream: str) -> float | None:
        """Seconds since the oldest unwritten skip, or None if there is none."""
        found = self._pending.get(upstream)
        return None if found is None else time.monotonic() - found[1]

    def clear(self, upstream: str) -> None:
        self._pending.pop(upstream, None)
