"""Top-ups and idempotency on in-memory persistence (pure domain and application logic)."""

from __future__ import annotations

import copy

import pytest

from contracts.registry import parse_event
from kabinet.domain import NotFound
from kabinet.idempotency import IdempotencyMismatch
from services.payments import publishing
from services.payments.application import PaymentsApplication
from services.payments.domain import Balance, PaymentsError


@pytest.fixture
def app() -> PaymentsApplication:
    payments = PaymentsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    payments.save(Balance.open("79001234567"))
    return payments


def test_a_top_up_adds_to_the_balance_and_answers_with_a_token(app: PaymentsApplication) -> None:
    answer = app.top_up("79001234567", 100_00, "k1")
    assert answer["balance"] == "100.00"
    assert answer["consistency_token"] == "payments:3"  # after PaymentPosted and its points
    assert app.balance("79001234567").kopecks == 100_00


@pytest.mark.parametrize("kopecks", [9_99, 15_000_01, 0, -100_00])
def test_a_top_up_outside_ten_to_fifteen_thousand_roubles_is_refused(
    app: PaymentsApplication, kopecks: int
) -> None:
    with pytest.raises(PaymentsError) as raised:
        app.top_up("79001234567", kopecks, "k1")
    assert raised.value.field == "amount"
    assert app.balance("79001234567").kopecks == 0


def test_the_same_key_and_body_give_the_first_answer_and_move_money_once(
    app: PaymentsApplication,
) -> None:
    first = app.top_up("79001234567", 100_00, "k1")
    again = app.top_up("79001234567", 100_00, "k1")
    assert again == first
    assert app.balance("79001234567").kopecks == 100_00


def test_the_same_key_with_another_amount_is_refused(app: PaymentsApplication) -> None:
    app.top_up("79001234567", 100_00, "k1")
    with pytest.raises(IdempotencyMismatch):
        app.top_up("79001234567", 200_00, "k1")
    assert app.balance("79001234567").kopecks == 100_00


def test_a_top_up_of_an_unknown_number_is_not_found(app: PaymentsApplication) -> None:
    with pytest.raises(NotFound):
        app.top_up("79990000000", 100_00, "k1")


def test_a_top_up_is_published_as_a_valid_contract_event(app: PaymentsApplication) -> None:
    app.top_up("79001234567", 100_00, "k1")
    notification = app.recorder.select_notifications(2, 1)[0]
    event = publishing.to_public(app.mapper.to_domain_event(notification), notification.id)
    assert event is not None
    parsed = parse_event(event.model_dump_json())
    assert parsed.model_dump() == event.model_dump()
    assert (parsed.type, parsed.amount_kopecks, parsed.balance_kopecks) == (  # type: ignore[attr-defined]
        "PaymentPosted",
        100_00,
        100_00,
    )


def test_a_copied_balance_is_equal_and_changes_apart_from_the_original() -> None:
    original = Balance.open("79001234567")
    for n in range(3):
        original.apply_charge(f"charge-{n}", "usage", 1_00, None, None)
    original.collect_events()
    clone = copy.deepcopy(original)
    assert clone.__dict__ == original.__dict__

    version = original.version
    clone.apply_charge("charge-new", "usage", 5_00, None, None)
    clone.top_up("payment-1", 100_00)
    assert list(original.charge_ids) == ["charge-0", "charge-1", "charge-2"]
    assert (original.kopecks, original.version, original.collect_events()) == (-3_00, version, [])
    assert clone.kopecks == 92_00
    assert clone.version > version
    assert not clone.apply_charge("charge-1", "usage", 1_00, None, None)  # still known
