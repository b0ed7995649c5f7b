"""The ledger's rules on in-memory persistence, with a clock the tests move."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from contracts.detailing import ChargeIncurred
from contracts.registry import parse_event
from kabinet.clock import ManualClock
from kabinet.domain import NotFound
from kabinet.effects import UnitOfWork
from kabinet.idempotency import IdempotencyMismatch
from services.payments import history, publishing
from services.payments.application import PaymentsApplication
from services.payments.domain import Balance
from services.payments.rules import InsufficientFunds, PaymentsError, TransferPolicy

ANNA, BORIS = "79001234567", "79007654321"
START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(clock: ManualClock) -> PaymentsApplication:
    payments = PaymentsApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
        clock=clock,
        transfers=TransferPolicy(fee_bps=100),
    )
    payments.save(Balance.open(ANNA, at=START), Balance.open(BORIS, at=START))
    return payments


def charge(app: PaymentsApplication, msisdn: str, kopecks: int, charge_id: str) -> None:
    event = ChargeIncurred(
        event_id=uuid.uuid4(),
        occurred_at=START,
        position=1,
        msisdn=msisdn,
        charge_id=charge_id,
        kind="usage",
        amount_kopecks=kopecks,
        cause_type="UsageRated",
    )
    uow = UnitOfWork(app)
    app.on_charge_incurred(uow, event)
    app.save(*uow.aggregates)


def seasoned(app: PaymentsApplication, clock: ManualClock, msisdn: str = ANNA) -> None:
    """A number old enough and with enough payment history for a promised payment."""
    app.top_up(msisdn, 100_00, "history")
    charge(app, msisdn, 100_00, "spent-history")
    clock.advance(timedelta(days=61))


def test_a_charge_is_debited_once_even_when_delivered_twice(app: PaymentsApplication) -> None:
    app.top_up(ANNA, 100_00, "k1")
    charge(app, ANNA, 30_00, "c1")
    charge(app, ANNA, 30_00, "c1")
    assert app.balance(ANNA).kopecks == 70_00


def test_a_charge_that_empties_the_balance_announces_it_once(app: PaymentsApplication) -> None:
    app.top_up(ANNA, 10_00, "k1")
    charge(app, ANNA, 10_00, "c1")
    charge(app, ANNA, 5_00, "c2")
    events = list(app.repository.event_store.get(Balance.id_for(ANNA)))
    exhausted = [e for e in events if isinstance(e, Balance.BalanceExhausted)]
    assert [e.charge_id for e in exhausted] == ["c1"]
    assert app.balance(ANNA).kopecks == -5_00
    app.top_up(ANNA, 10_00, "k2")
    charge(app, ANNA, 10_00, "c3")
    events = list(app.repository.event_store.get(Balance.id_for(ANNA)))
    assert [e.charge_id for e in events if isinstance(e, Balance.BalanceExhausted)] == ["c1", "c3"]


@pytest.mark.parametrize(("kopecks", "days"), [(50_00, 3), (100_00, 3), (200_00, 7), (300_00, 7)])
def test_a_promised_payment_of_a_published_amount_has_its_published_term(
    app: PaymentsApplication, clock: ManualClock, kopecks: int, days: int
) -> None:
    seasoned(app, clock)
    answer = app.grant_promise(ANNA, kopecks, "p1")
    assert datetime.fromisoformat(answer["due_at"]) == clock.now() + timedelta(days=days)
    balance = app.balance(ANNA)
    assert (balance.kopecks, balance.credit, balance.available) == (0, kopecks, kopecks)


@pytest.mark.parametrize("kopecks", [49_99, 75_00, 150_00, 500_00])
def test_a_promised_payment_of_another_amount_is_refused_naming_the_rule(
    app: PaymentsApplication, clock: ManualClock, kopecks: int
) -> None:
    seasoned(app, clock)
    with pytest.raises(PaymentsError) as refused:
        app.grant_promise(ANNA, kopecks, "p1")
    assert (refused.value.rule, refused.value.field) == ("promise_amount", "amount")
    assert app.balance(ANNA).credit == 0


def test_a_second_promised_payment_waits_until_the_first_is_repaid(
    app: PaymentsApplication, clock: ManualClock
) -> None:
    seasoned(app, clock)
    app.grant_promise(ANNA, 50_00, "p1")
    with pytest.raises(PaymentsError) as refused:
        app.grant_promise(ANNA, 100_00, "p2")
    assert refused.value.rule == "promise_one_at_a_time"


def test_a_young_number_or_one_without_history_or_with_money_gets_no_promise(
    app: PaymentsApplication, clock: ManualClock
) -> None:
    app.top_up(BORIS, 10_00, "small")
    with pytest.raises(PaymentsError) as young:
        app.grant_promise(BORIS, 50_00, "p1")
    clock.advance(timedelta(days=61))
    with pytest.raises(PaymentsError) as no_history:
        app.grant_promise(BORIS, 50_00, "p2")
    app.top_up(BORIS, 100_00, "more")
    with pytest.raises(PaymentsError) as rich:
        app.grant_promise(BORIS, 50_00, "p3")
    rules = [young.value.rule, no_history.value.rule, rich.value.rule]
    assert rules == ["promise_account_age", "promise_payment_history", "promise_low_balance"]


def test_the_next_top_up_repays_the_promise(app: PaymentsApplication, clock: ManualClock) -> None:
    seasoned(app, clock)
    app.grant_promise(ANNA, 100_00, "p1")
    charge(app, ANNA, 80_00, "c1")
    app.top_up(ANNA, 30_00, "k1")
    balance = app.balance(ANNA)
    assert (balance.kopecks, balance.credit, balance.available) == (-50_00, 70_00, 20_00)
    app.top_up(ANNA, 200_00, "k2")
    balance = app.balance(ANNA)
    assert (balance.kopecks, balance.credit, balance.promise) == (150_00, 0, None)


def test_at_term_end_the_unpaid_credit_is_withdrawn_and_the_balance_may_be_negative(
    app: PaymentsApplication, clock: ManualClock
) -> None:
    seasoned(app, clock)
    app.grant_promise(ANNA, 50_00, "p1")
    charge(app, ANNA, 40_00, "c1")
    clock.advance(timedelta(days=3) - timedelta(seconds=1))
    assert app.expire_due_promises() == 0
    clock.advance(timedelta(seconds=1))
    assert app.expire_due_promises() == 1
    assert app.expire_due_promises() == 0
    balance = app.balance(ANNA)
    assert (balance.kopecks, balance.credit, balance.available) == (-40_00, 0, -40_00)
    events = list(app.repository.event_store.get(Balance.id_for(ANNA), desc=True, limit=2))
    assert isinstance(events[0], Balance.BalanceExhausted)
    assert isinstance(events[1], Balance.PromisedPaymentOverdue)
    assert events[1].outstanding_kopecks == 50_00


def test_a_transfer_moves_money_and_its_fee_between_both_ledgers_at_once(
    app: PaymentsApplication,
) -> None:
    app.top_up(ANNA, 500_00, "k1")
    answer = app.transfer(ANNA, BORIS, 200_00, "t1")
    assert (answer["amount"], answer["fee"], answer["balance"]) == ("200.00", "2.00", "298.00")
    assert app.transfer(ANNA, BORIS, 200_00, "t1") == answer
    assert (app.balance(ANNA).kopecks, app.balance(BORIS).kopecks) == (298_00, 200_00)


@pytest.mark.parametrize(
    ("amount", "to", "rule", "error"),
    [
        (50, BORIS, "transfer_limit", PaymentsError),
        (6_000_00, BORIS, "transfer_limit", PaymentsError),
        (200_00, ANNA, "transfer_self", PaymentsError),
        (300_00, BORIS, "transfer_own_money", InsufficientFunds),
    ],
)
def test_a_transfer_outside_the_rules_is_refused_and_changes_nothing(
    app: PaymentsApplication, amount: int, to: str, rule: str, error: type[Exception]
) -> None:
    app.top_up(ANNA, 250_00, "k1")
    with pytest.raises(error) as refused:
        app.transfer(ANNA, to, amount, "t1")
    assert refused.value.rule == rule  # type: ignore[attr-defined]
    assert (app.balance(ANNA).kopecks, app.balance(BORIS).kopecks) == (250_00, 0)


def test_transfers_stop_at_the_daily_limit_and_start_again_the_next_day(
    app: PaymentsApplication, clock: ManualClock
) -> None:
    for n in range(3):
        app.top_up(ANNA, 10_000_00, f"k{n}")
    for n in range(3):
        app.transfer(ANNA, BORIS, 5_000_00, f"t{n}")
    with pytest.raises(PaymentsError) as refused:
        app.transfer(ANNA, BORIS, 1_00, "t3")
    assert refused.value.rule == "transfer_daily_limit"
    clock.advance(timedelta(days=1))
    app.transfer(ANNA, BORIS, 1_00, "t4")


def test_a_promised_credit_cannot_be_transferred(
    app: PaymentsApplication, clock: ManualClock
) -> None:
    seasoned(app, clock)
    app.grant_promise(ANNA, 300_00, "p1")
    with pytest.raises(InsufficientFunds):
        app.transfer(ANNA, BORIS, 100_00, "t1")


def test_operations_are_listed_newest_first_a_page_at_a_time(
    app: PaymentsApplication, clock: ManualClock
) -> None:
    for n in range(5):
        app.top_up(ANNA, 10_00 + n, f"k{n}")
        clock.advance(timedelta(hours=1))
    charge(app, ANNA, 3_00, "c1")
    first = history.operations(app, ANNA, None, None, 4, None)
    assert [i["kind"] for i in first["items"]] == ["charge", "topup", "topup", "topup"]
    assert first["items"][0]["amount"] == "-3.00"
    rest = history.operations(app, ANNA, None, None, 4, int(first["next_cursor"]))
    assert [i["amount"] for i in rest["items"]] == ["10.01", "10.00"]
    assert rest["next_cursor"] is None
    since = START + timedelta(hours=3)
    assert len(history.operations(app, ANNA, since, None, 50, None)["items"]) == 3


def test_every_ledger_event_is_published_as_a_valid_contract_event(
    app: PaymentsApplication, clock: ManualClock
) -> None:
    seasoned(app, clock)
    app.grant_promise(ANNA, 50_00, "p1")
    charge(app, ANNA, 60_00, "c1")
    app.top_up(ANNA, 100_00, "k1")
    app.transfer(ANNA, BORIS, 10_00, "t1")
    app.set_alert_level(ANNA, 50_00)
    charge(app, ANNA, 40_00, "c2")
    app.top_up(ANNA, 1_000_00, "k2")
    app.redeem_points(ANNA, 100, "r1")
    balance = app.balance(ANNA)
    balance.hold_withdrawal("w1", 100_00, "tok", "1111", clock.now())
    balance.settle_withdrawal("w1", 100_00, paid=True, now=clock.now())
    app.save(balance)
    types = []
    for notification in app.recorder.select_notifications(1, 100):
        event = publishing.to_public(app.mapper.to_domain_event(notification), notification.id)
        if event is not None:
            assert parse_event(event.model_dump_json()).model_dump() == event.model_dump()
            types.append(event.type)
    assert {"ChargeApplied", "PromisedPaymentGranted", "PromisedPaymentRepaid"} <= set(types)
    assert {"BalanceExhausted", "TransferCompleted", "PaymentPosted"} <= set(types)
    assert {"LowBalanceReached", "LoyaltyPointsRedeemed", "WithdrawalRequested"} <= set(types)
    assert {"WithdrawalCompleted", "LoyaltyPointsEarned"} <= set(types)


def test_card_top_ups_earn_points_that_redeem_as_balance_credit_once(
    app: PaymentsApplication,
) -> None:
    app.top_up(ANNA, 1_234_56, "k1")
    assert app.balance(ANNA).points == 123
    answer = app.redeem_points(ANNA, 100, "r1")
    assert app.redeem_points(ANNA, 100, "r1") == answer
    assert (answer["amount"], answer["points_balance"], answer["balance"]) == (
        "10.00",
        23,
        "1244.56",
    )
    with pytest.raises(InsufficientFunds) as short:
        app.redeem_points(ANNA, 100, "r2")
    with pytest.raises(PaymentsError) as small:
        app.redeem_points(ANNA, 20, "r3")
    assert (short.value.rule, small.value.rule) == ("loyalty_points", "loyalty_minimum")
    assert app.balance(ANNA).points == 23


def test_a_withdrawal_holds_the_money_and_a_rejection_returns_it_once(
    app: PaymentsApplication, clock: ManualClock
) -> None:
    app.top_up(ANNA, 500_00, "k1")
    balance = app.balance(ANNA)
    balance.hold_withdrawal("w1", 200_00, "tok", "1111", clock.now())
    assert balance.kopecks == 300_00
    assert balance.settle_withdrawal("w1", 200_00, paid=False, now=clock.now())
    assert not balance.settle_withdrawal("w1", 200_00, paid=False, now=clock.now())
    assert (balance.kopecks, balance.withdrawals["w1"]) == (500_00, "rejected")
    with pytest.raises(InsufficientFunds):
        balance.hold_withdrawal("w2", 600_00, "tok", "1111", clock.now())


def test_the_low_balance_notice_comes_once_per_fall_below_the_level(
    app: PaymentsApplication,
) -> None:
    app.top_up(ANNA, 200_00, "k1")
    assert app.set_alert_level(ANNA, 100_00) == {"msisdn": ANNA, "level": "100.00"}
    charge(app, ANNA, 50_00, "c1")
    charge(app, ANNA, 60_00, "c2")
    charge(app, ANNA, 10_00, "c3")
    app.top_up(ANNA, 100_00, "k2")
    charge(app, ANNA, 100_00, "c4")
    events = app.repository.event_store.get(Balance.id_for(ANNA))
    notices = [
        (e.charge_id, e.balance_kopecks) for e in events if isinstance(e, Balance.LowBalanceReached)
    ]
    assert notices == [("c2", 90_00), ("c4", 80_00)]
    with pytest.raises(PaymentsError) as refused:
        app.set_alert_level(ANNA, 0)
    assert refused.value.rule == "alert_level"


def _problem(refusal: PaymentsError) -> tuple[object, ...]:
    return (type(refusal), refusal.status, refusal.message, refusal.field, refusal.rule)


Command = Callable[[PaymentsApplication, str, int], object]
REFUSED: dict[str, tuple[Command, str]] = {
    "top-up": (lambda app, key, n: app.top_up(ANNA, 5_00 + n, key), "topup_range"),
    "promise": (
        lambda app, key, n: app.grant_promise(ANNA, 50_00 * (n + 1), key),
        "promise_account_age",
    ),
    "transfer": (
        lambda app, key, n: app.transfer(ANNA, BORIS, 200_00 + n, key),
        "transfer_own_money",
    ),
    "redemption": (lambda app, key, n: app.redeem_points(ANNA, 100 + n, key), "loyalty_points"),
}


@pytest.mark.parametrize("command", list(REFUSED))
def test_a_refusal_is_the_first_answer_for_its_key_and_moves_nothing(
    app: PaymentsApplication, command: str
) -> None:
    call, rule = REFUSED[command]
    version = app.balance(ANNA).version
    with pytest.raises(PaymentsError) as first:
        call(app, "once", 0)
    with pytest.raises(PaymentsError) as again:
        call(app, "once", 0)
    with pytest.raises(IdempotencyMismatch):
        call(app, "once", 1)
    assert first.value.rule == rule
    assert _problem(again.value) == _problem(first.value)
    assert app.balance(ANNA).version == version


def test_a_kept_refusal_stands_even_after_the_balance_would_allow_the_request(
    app: PaymentsApplication,
) -> None:
    with pytest.raises(InsufficientFunds) as first:
        app.transfer(ANNA, BORIS, 100_00, "t1")
    app.top_up(ANNA, 500_00, "k1")
    with pytest.raises(InsufficientFunds) as again:
        app.transfer(ANNA, BORIS, 100_00, "t1")
    with pytest.raises(IdempotencyMismatch):
        app.transfer(ANNA, BORIS, 50_00, "t1")
    assert _problem(again.value) == _problem(first.value)
    assert (app.balance(ANNA).kopecks, app.balance(BORIS).kopecks) == (500_00, 0)
    assert app.transfer(ANNA, BORIS, 100_00, "t2")["balance"] == "399.00"


def test_a_refusal_that_may_pass_later_is_not_kept_under_its_key(
    app: PaymentsApplication,
) -> None:
    newcomer = "79990000000"
    app.top_up(ANNA, 100_00, "k1")
    with pytest.raises(NotFound):
        app.transfer(ANNA, newcomer, 10_00, "t1")
    app.save(Balance.open(newcomer, at=START))
    assert app.transfer(ANNA, newcomer, 10_00, "t1")["amount"] == "10.00"
