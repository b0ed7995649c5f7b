"""Concurrent saves, with and without tracking rows, commit in notification-id order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

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


@pytest.mark.parametrize("tracked", [False, True])
def test_a_save_refused_for_a_stored_version_uses_up_no_notification_id(
    settings: Settings, tracked: bool
) -> None:
    """Readers that count positions (account counts the catalog's) need a log without
    holes: the refused save must not draw the ids its events would have had."""
    app = PaymentsApplication(env=persistence_env(settings, "payments"))
    first, second = numbers(2)
    app.save(Balance.open(first))
    with pytest.raises(IntegrityError):
        if tracked:
            app.save_tracked(Balance.open(first), tracking=Tracking("up", 1))
        else:
            app.save(Balance.open(first))
    [recording] = app.save(Balance.open(second))
    assert recording.notification.id == 2


def test_saves_racing_for_the_same_versions_leave_the_log_without_a_hole(
    settings: Settings,
) -> None:
    """Writers both ways save the same new aggregates at once: one of each wins."""
    app = PaymentsApplication(env=persistence_env(settings, "payments"))
    msisdns = numbers(SAVES)
    start = threading.Barrier(WRITERS)
    won: list[int] = []

    def write(writer: int) -> None:
        start.wait()
        for i, msisdn in enumerate(msisdns):
            try:
                if writer % 2:
                    app.save_tracked(Balance.open(msisdn), tracking=Tracking(f"up:{writer}", i + 1))
                else:
                    app.save(Balance.open(msisdn))
            except IntegrityError:
                continue
            won.append(i)

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(write, range(WRITERS)))
    ids = [n.id for n in app.recorder.select_notifications(1, 100_000)]
    assert sorted(won) == list(range(SAVES))
    assert ids == list(range(1, SAVES + 1))
