"""Periodic work: the promise due-term sweeper and the pending top-up janitor.

Time rules ask the application's injectable clock, so tests move the clock and call
`app.expire_due_promises()` / `cards.settle_pending()` themselves; a loop here only
decides how often to look.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import structlog

log = structlog.get_logger("payments.sweeper")

PROMISE_SWEEP_INTERVAL = 60.0
TOPUP_JANITOR_INTERVAL = 15.0
AUTOPAY_INTERVAL = 1.0


def periodic(
    name: str, work: Callable[[], int], interval: float
) -> Callable[[], Coroutine[Any, Any, None]]:
    async def loop() -> None:
        while True:
            try:
                done = await asyncio.to_thread(work)
                if done:
                    log.info(name, count=done)
            except Exception:
                log.exception(f"{name}_failed")
            await asyncio.sleep(interval)  # poll: a periodic timer, not a wait for an event

    return loop
