"""Base aggregate and errors shared by every service's domain model."""

from __future__ import annotations

import functools
from hashlib import sha1
from typing import Any
from uuid import NAMESPACE_URL, UUID

from eventsourcing.domain import Aggregate

from kabinet import context
from kabinet.eventsourcing_seams import AggregateSeams


class KabinetError(Exception):
    """A refused command: the message is safe to show; `field` names the culprit."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(KabinetError):
    status = 404


class Conflict(KabinetError):
    status = 409


_NAME_PREFIX = NAMESPACE_URL.bytes + b"kabinet:"


@functools.lru_cache(maxsize=8192)  # the ids of numbers come up on every request
def stable_id(*parts: str) -> UUID:
    """A deterministic aggregate id, e.g. stable_id("balance", msisdn): the version 5
    UUID of the name "kabinet:<parts joined by ':'>" in the URL namespace."""
    digest = sha1(_NAME_PREFIX + ":".join(parts).encode()).digest()
    return UUID(bytes=digest[:16], version=5)


class KabinetAggregate(AggregateSeams):
    """Every event records the correlation and causation ids of the work that caused it."""

    class Event(Aggregate.Event):
        correlation_id: str
        causation_id: str

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def event_fields(cls, fields: dict[str, Any]) -> dict[str, Any]:
        fields.setdefault("correlation_id", context.correlation_id())
        fields.setdefault("causation_id", context.causation_id())
        return fields

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        super().trigger_event(event_class, **self.event_fields(kwargs))
