"""The points ledger: earned with card top-ups in their own save, redeemed once per key,
published as contract events."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.registry import parse_event
from kabinet.idempotency import IdempotencyMismatch
from services.payments import publishing
from services.payments.application import PaymentsApplication
from services.payments.domain import Balance
from tests.unit.test_payments_ledger import ANNA, BORIS, START


@pytest.fixture
def app() -> PaymentsApplication:
    payments = PaymentsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    payments.save(Balance.open(ANNA, at=START), Balance.open(BORIS, at=START))
    return payments


def ledger_events(app: PaymentsApplication, msisdn: str = ANNA) -> list[Any]:
    return list(app.repository.event_store.get(Balance.id_for(msisdn)))


def test_each_card_top_up_earns_the_points_its_money_completes_in_the_same_save(
    app: PaymentsApplication,
) -> None:
    first = app.top_up(ANNA, 15_00, "k1")["payment_id"]
    second = app.top_up(ANNA, 15_00, "k2")["payment_id"]
    app.top_up(ANNA, 15_00, "k1")  # a retry earns nothing
    third = app.top_up(ANNA, 10_00, "k3")["payment_id"]
    events = ledger_events(app)
    earned = [
        (e.source_id, e.points, e.points_balance, e.reason)
        for e in events
        if isinstance(e, Balance.LoyaltyPointsEarned)
    ]
    assert earned == [(first, 1, 1, "topup"), (second, 2, 3, "topup"), (third, 1, 4, "topup")]
    kinds = [type(e).__name__ for e in events[1:]]
    assert kinds == ["PaymentPosted", "LoyaltyPointsEarned"] * 3
    assert app.balance(ANNA).points == 4


def test_money_that_is_not_a_card_top_up_earns_no_points(app: PaymentsApplication) -> None:
    app.top_up(ANNA, 1_000_00, "k1")
    app.redeem_points(ANNA, 100, "r1")
    app.transfer(ANNA, BORIS, 500_00, "t1")
    assert (app.balance(ANNA).points, app.balance(BORIS).points) == (0, 0)
    earned = [e for e in ledger_events(app) if isinstance(e, Balance.LoyaltyPointsEarned)]
    assert len(earned) == 1
    assert not any(isinstance(e, Balance.LoyaltyPointsEarned) for e in ledger_events(app, BORIS))


def test_a_redemption_spends_points_once_per_key(app: PaymentsApplication) -> None:
    app.top_up(ANNA, 3_000_00, "k1")
    first = app.redeem_points(ANNA, 120, "r1")
    assert app.redeem_points(ANNA, 120, "r1") == first
    with pytest.raises(IdempotencyMismatch):
        app.redeem_points(ANNA, 150, "r1")
    app.redeem_points(ANNA, 100, "r2")
    redeemed = [
        (e.points, e.points_balance)
        for e in ledger_events(app)
        if isinstance(e, Balance.LoyaltyPointsRedeemed)
    ]
    assert redeemed == [(120, 180), (100, 80)]
    assert (app.balance(ANNA).points, app.balance(ANNA).kopecks) == (80, 3_022_00)


def test_points_earned_and_redeemed_are_published_as_valid_contract_events(
    app: PaymentsApplication,
) -> None:
    payment_id = app.top_up(ANNA, 1_234_56, "k1")["payment_id"]
    redemption_id = app.redeem_points(ANNA, 100, "r1")["redemption_id"]
    published = []
    for notification in app.recorder.select_notifications(1, 100):
        event = publishing.to_public(app.mapper.to_domain_event(notification), notification.id)
        if event is not None and event.type.startswith("LoyaltyPoints"):
            assert parse_event(event.model_dump_json()).model_dump() == event.model_dump()
            published.append(event.model_dump(include={"type", "points", "points_balance"}))
            assert event.msisdn == ANNA
    assert published == [
        {"type": "LoyaltyPointsEarned", "points": 123, "points_balance": 123},
        {"type": "LoyaltyPointsRedeemed", "points": 100, "points_balance": 23},
    ]
    events = ledger_events(app)
    earned = next(e for e in events if isinstance(e, Balance.LoyaltyPointsEarned))
    spent = next(e for e in events if isinstance(e, Balance.LoyaltyPointsRedeemed))
    assert (earned.source_id, spent.redemption_id) == (payment_id, redemption_id)
