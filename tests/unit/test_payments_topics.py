"""Balance's events keep the topics the ledger stored before it became one class: every
event, wherever its class is written, is named `services.payments.domain:Balance.<Event>`
and resolves to the class that folds it (tests/unit/test_stored_events_load.py replays
stored histories)."""

from __future__ import annotations

from eventsourcing.utils import get_topic, resolve_topic

from kabinet.eventtable import domain_events
from services.payments.domain import Balance


def test_every_balance_event_is_stored_under_the_balance_class_of_the_domain_module() -> None:
    for event_class in domain_events(Balance):
        topic = get_topic(event_class)
        assert topic == f"services.payments.domain:Balance.{event_class.__name__}"
        assert resolve_topic(topic) is event_class
