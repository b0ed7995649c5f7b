"""`Collected` gathers what eventsourcing's ProcessingEvent gathers, faster."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import ProcessingEvent

from kabinet.eventstore import Collected
from services.payments.domain import Balance


def test_collected_takes_the_same_events_aggregates_and_arguments_as_eventsourcing() -> None:
    def made() -> list[Any]:
        first, second = Balance.open("79001234567"), Balance.open("79001234568")
        loose = Balance.open("79001234569").collect_events()[0]
        return [first, None, loose, second]

    ours, theirs = made(), made()
    collected = Collected()
    processing: ProcessingEvent[Any] = ProcessingEvent()
    collected.collect_events(*ours, note="x")
    processing.collect_events(*theirs, note="x")

    def summary(event: ProcessingEvent[Any]) -> tuple[object, ...]:
        return (
            [(type(e).__name__, getattr(e, "msisdn", None)) for e in event.events],
            [getattr(a, "msisdn", None) for a in event.aggregates.values()],
            event.saved_kwargs,
        )

    assert summary(collected) == summary(processing)
    assert [type(e).__name__ for e in collected.events] == ["Opened"] * 3
