"""Base aggregate and errors shared by every service's domain model."""

from __future__ import annotations

from typing import Any, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from kabinet import context


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


def stable_id(*parts: str) -> UUID:
    """A deterministic aggregate id, e.g. stable_id("balance", msisdn)."""
    return uuid5(NAMESPACE_URL, "kabinet:" + ":".join(parts))


class KabinetAggregate(Aggregate):
    """Every event records the correlation and causation ids of the work that caused it."""

    class Event(Aggregate.Event):
        correlation_id: str
        causation_id: str

    class Created(Event, Aggregate.Created):
        pass

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs.setdefault("correlation_id", context.correlation_id())
        kwargs.setdefault("causation_id", context.causation_id())
        super().trigger_event(event_class, **kwargs)

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Self:  # noqa: A002
        kwargs.setdefault("correlation_id", context.correlation_id())
        kwargs.setdefault("causation_id", context.causation_id())
        return super()._create(event_class, id=id, **kwargs)
