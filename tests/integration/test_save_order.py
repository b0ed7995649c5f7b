"""Concurrent saves, with and without tracking rows, commit in notification-id order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from eventsourcing.persistence import Tracking

from kabinet.eventstore import persistence_env
from kabinet.settings import Settings
from services.payments.application import PaymentsApplication
from services.payments.domain import Balance
from tests.integration.helpers import numbers

pytestmark = pytest.mark.integration

WRITERS = 6
SAVES = 80


def test_a_reader_tailing_the_log_never_sees_a_later_id_before_an_earlier_one(
    settings: Settings,
) -> None:
    app = PaymentsApplication(env=persistence_env(settings, "payments"))
    msisdns = numbers(WRITERS * SAVES)
    done = threading.Event()
    gaps: list[list[int]] = []

    def write(writer: int) -> None:
        for i in range(SAVES):
            balance = Balance.open(msisdns[writer * SAVES + i])
            if writer % 2:  # a consumer's save: with a tracking row, in a transaction
                app.save_tracked(balance, tracking=Tracking(f"up:{writer}", i + 1))
            else:  # a command's save: one statement
                app.save(balance)

    def read() -> None:
        while not done.is_set():
            ids = [n.id for n in app.recorder.select_notifications(1, 100_000)]
            if ids != list(range(1, len(ids) + 1)):
                gaps.append(ids)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(write, range(WRITERS)))
    finally:
        done.set()
        reader.join()
    assert gaps == []
    assert app.recorder.max_notification_id() == WRITERS * SAVES


@pytest.mark.parametrize("count", [1, 8, 9, 300])
@pytest.mark.parametrize("tracked", [False, True])
def test_a_save_of_any_size_stores_each_event_under_the_id_it_returned(
    settings: Settings, count: int, tracked: bool
) -> None:
    """Few events are inserted as VALUES rows, more as arrays: both keep the events' order."""
    app = PaymentsApplication(env=persistence_env(settings, "payments"))
    balances = [Balance.open(m) for m in numbers(count)]
    if tracked:
        recordings = app.save_tracked(*balances, tracking=Tracking("up", 1))
    else:
        recordings = app.save(*balances)
    assert [r.domain_event.originator_id for r in recordings] == [b.id for b in balances]
    ids = [r.notification.id for r in recordings]
    assert ids == list(range(ids[0], ids[0] + count))
    stored = {n.id: n for n in app.recorder.select_notifications(ids[0], count)}
    for recording in recordings:
        notification = stored[recording.notification.id]
        assert notification.originator_id == recording.domain_event.originator_id
        assert notification.originator_version == recording.domain_event.originator_version
        assert notification.topic == recording.notification.topic
        assert notification.state == recording.notification.state
