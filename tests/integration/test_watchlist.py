"""Watchlists of unfinished business read each stretch of the log once."""

from __future__ import annotations

import pytest

from kabinet.settings import Settings
from services.payments.domain import Balance
from services.payments.watch import PAGE, Watchlist
from tests.integration.helpers import numbers, open_balances, payments_app

pytestmark = pytest.mark.integration


def test_a_refresh_finds_every_event_of_its_kind_and_resumes_after_the_log_end_it_read(
    settings: Settings,
) -> None:
    app = payments_app(settings)
    msisdns = numbers(PAGE + 5)
    open_balances(app, msisdns)  # more events than a page, none of them of the kind
    watch = Watchlist(app, Balance.PaymentPosted)

    assert watch.refresh() == []
    assert watch.scanned == app.recorder.max_notification_id()  # not 0: read once

    paid = msisdns[:2] + msisdns[-1:]
    for msisdn in paid:
        app.top_up(msisdn, 100_00, f"key-{msisdn}")
    open_balances(app, numbers(3))  # after the last of the kind, still scanned past
    assert sorted(watch.refresh()) == sorted(Balance.id_for(m) for m in paid)
    assert watch.scanned == app.recorder.max_notification_id()
