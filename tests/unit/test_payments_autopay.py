"""Autopay: one top-up per fall below the threshold, within the monthly cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.registry import parse_event
from kabinet.clock import ManualClock
from services.payments import publishing
from services.payments.acquiring import AcquirerAnswer, Outcome
from services.payments.application import PaymentsApplication
from services.payments.autopay import AutopaySetup
from services.payments.autopays import Autopays
from services.payments.domain import Balance
from services.payments.rules import PaymentsError
from tests.unit.test_payments_ledger import ANNA, charge

START = datetime(2026, 3, 1, tzinfo=UTC)
SETUP = AutopaySetup(
    "tok", "1111", threshold_kopecks=100_00, amount_kopecks=300_00, monthly_cap_kopecks=500_00
)


class Bank:
    def __init__(self, outcome: Outcome = "captured") -> None:
        self.outcome = outcome
        self.asked: list[str] = []

    def pay(self, payment_id: str, amount_kopecks: int, card_token: str) -> AcquirerAnswer:
        self.asked.append(payment_id)
        return AcquirerAnswer(self.outcome, "refused")

    def status(self, payment_id: str) -> AcquirerAnswer:
        raise NotImplementedError

    def payout(self, payout_id: str, amount_kopecks: int, card_token: str) -> AcquirerAnswer:
        raise NotImplementedError

    def payout_status(self, payout_id: str) -> AcquirerAnswer:
        raise NotImplementedError

    def verify(self, body: bytes, signature: str | None) -> bool:
        return False


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(clock: ManualClock) -> PaymentsApplication:
    payments = PaymentsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)
    payments.save(Balance.open(ANNA, at=START))
    payments.top_up(ANNA, 200_00, "k1")
    return payments


def outcomes(app: PaymentsApplication) -> list[tuple[str, int]]:
    events = app.repository.event_store.get(Balance.id_for(ANNA))
    return [
        (e.outcome, e.month_total_kopecks)
        for e in events
        if isinstance(e, Balance.AutopayTriggered)
    ]


def test_a_fall_below_the_threshold_triggers_one_top_up_not_one_per_charge(
    app: PaymentsApplication,
) -> None:
    bank = Bank()
    autopays = Autopays(app, bank)
    autopays.configure(ANNA, SETUP)
    charge(app, ANNA, 50_00, "c1")
    assert autopays.run_pending() == 0  # 150.00 is not below 100.00
    charge(app, ANNA, 60_00, "c2")
    charge(app, ANNA, 10_00, "c3")
    assert autopays.run_pending() == 1
    assert autopays.run_pending() == 0
    assert len(bank.asked) == 1
    assert app.balance(ANNA).kopecks == 380_00
    assert outcomes(app) == [("succeeded", 300_00)]


def test_autopay_outcomes_are_published_as_valid_contract_events(
    app: PaymentsApplication,
) -> None:
    autopays = Autopays(app, Bank())
    autopays.configure(ANNA, SETUP)
    charge(app, ANNA, 150_00, "c1")
    autopays.run_pending()
    published = []
    for notification in app.recorder.select_notifications(1, 100):
        event = publishing.to_public(app.mapper.to_domain_event(notification), notification.id)
        if event is not None:
            assert parse_event(event.model_dump_json()).model_dump() == event.model_dump()
            published.append(event.type)
    assert published[-2:] == ["PaymentPosted", "AutopayTriggered"]


def test_the_monthly_cap_stops_autopay_until_the_next_month(
    app: PaymentsApplication, clock: ManualClock
) -> None:
    autopays = Autopays(app, Bank())
    autopays.configure(ANNA, SETUP)
    charge(app, ANNA, 150_00, "c1")
    autopays.run_pending()
    charge(app, ANNA, 300_00, "c2")  # 350.00 → 50.00: a second 300.00 would pass the cap
    assert autopays.run_pending() == 0
    assert app.balance(ANNA).kopecks == 50_00
    assert outcomes(app) == [("succeeded", 300_00), ("monthly_cap_reached", 300_00)]
    app.top_up(ANNA, 100_00, "k2")  # back above the threshold: armed again
    clock.advance(timedelta(days=31))
    charge(app, ANNA, 100_00, "c3")
    assert autopays.run_pending() == 1
    assert outcomes(app)[-1] == ("succeeded", 300_00)


def test_a_declined_autopay_is_recorded_and_not_retried_for_the_same_fall(
    app: PaymentsApplication,
) -> None:
    bank = Bank("declined")
    autopays = Autopays(app, bank)
    autopays.configure(ANNA, SETUP)
    charge(app, ANNA, 150_00, "c1")
    assert autopays.run_pending() == 1
    charge(app, ANNA, 10_00, "c2")
    assert autopays.run_pending() == 0
    assert outcomes(app) == [("declined", 0)]
    assert app.balance(ANNA).kopecks == 40_00


def test_an_autopay_whose_cap_allows_no_payment_is_refused_naming_the_rule(
    app: PaymentsApplication,
) -> None:
    autopays = Autopays(app, Bank())
    bad = AutopaySetup("tok", "1111", 100_00, 300_00, monthly_cap_kopecks=200_00)
    with pytest.raises(PaymentsError) as refused:
        autopays.configure(ANNA, bad)
    assert (refused.value.rule, refused.value.field) == ("autopay_cap", "monthly_cap")
    assert autopays.show(ANNA) == {"msisdn": ANNA, "enabled": False}
    autopays.configure(ANNA, SETUP)
    assert autopays.cancel(ANNA)["enabled"] is False
    with pytest.raises(PaymentsError):
        autopays.cancel(ANNA)
