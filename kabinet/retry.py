"""Retry on a conflicting save: the one loop every load → call → save goes through.

A save fails with eventsourcing's `IntegrityError` when another writer stored a newer
version of one of its aggregates (or moved a tracking row) first; the command is then
loaded and applied again on what is stored. Attempts that keep conflicting end in a
refusal: by default a 409 `Conflict` naming the busy thing and the field (decision 37).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError

from kabinet.domain import Conflict

ATTEMPTS = 20
T = TypeVar("T")


def retrying(
    attempt: Callable[[], T],
    *,
    busy: str,
    field: str | None = None,
    attempts: int = ATTEMPTS,
    conflicts: tuple[type[Exception], ...] = (IntegrityError,),
    pause: float = 0.0,
    on_conflict: Callable[[], object] | None = None,
    error: Callable[[str], Exception] | None = None,
) -> T:
    """What `attempt` returns, run again after each of `conflicts` up to `attempts` times.

    After a conflict, `on_conflict` runs and the loop pauses `pause` seconds (a poll that
    lets a competing writer finish). When every attempt conflicted, `Conflict(busy,
    field=field)` is raised, or `error(busy)` if given (a consumer's batch is no request).
    """
    for _ in range(attempts):
        try:
            return attempt()
        except conflicts:
            if on_conflict is not None:
                on_conflict()
            if pause:
                time.sleep(pause)  # poll: let the competing writer finish
    raise Conflict(busy, field=field) if error is None else error(busy)
