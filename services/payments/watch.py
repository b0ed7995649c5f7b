"""Aggregates with unfinished business (open promises, pending top-ups), found by tailing
the notification log for the events that start it; readers discard what is finished."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from kabinet.eventstore import KabinetApplication

PAGE = 1000


class Watchlist:
    def __init__(self, app: KabinetApplication, event_class: type[Any]) -> None:
        self.app = app
        self.topic = get_topic(event_class)
        self.scanned = 0
        self.ids: set[UUID] = set()

    def refresh(self) -> list[UUID]:
        """Scan the log up to its end as of now, once: the scan resumes after that end, not
        after the last event of this kind (notification ids commit in order)."""
        end = self.app.recorder.max_notification_id() or 0
        while self.scanned < end:
            found = self.app.recorder.select_notifications(
                self.scanned + 1, PAGE, stop=end, topics=[self.topic]
            )
            self.ids.update(UUID(str(n.originator_id)) for n in found)
            self.scanned = found[-1].id if len(found) == PAGE else end
        return list(self.ids)

    def discard(self, aggregate_id: UUID) -> None:
        self.ids.discard(aggregate_id)
