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
