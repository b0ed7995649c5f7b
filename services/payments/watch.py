"""Aggregates with unfinished business (open promises, pending top-ups), found by tailing
the notification log for the events that start it; readers discard what is finished."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from kabinet.eventstore import KabinetApplication


class Watchlist:
    def __init__(self, app: KabinetApplication, event_class: type[Any]) -> None:
        self.app = app
        self.topic = get_topic(event_class)
        self.scanned = 0
        self.ids: set[UUID] = set()

    def refresh(self) -> list[UUID]:
        while notifications := self.app.recorder.select_notifications(
            self.scanned + 1, 1000, topics=[self.topic]
        ):
            self.ids.update(UUID(str(n.originator_id)) for n in notifications)
            self.scanned = notifications[-1].id
        return list(self.ids)

    def discard(self, aggregate_id: UUID) -> None:
        self.ids.discard(aggregate_id)
