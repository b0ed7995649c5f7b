"""A stateful property test of the ledger on PostgreSQL: random top-ups, charges (with
redeliveries), promised payments (grant, repay, expire on a moved clock), transfers and
withdrawals (paid, rejected, held then settled), loyalty redemptions and retried idempotent
requests (refused ones too), checked against a model after every step."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from contracts.detailing import ChargeIncurred
from kabinet.clock import ManualClock
from kabinet.domain import KabinetError
from kabinet.effects import ApplicationEffects
from kabinet.eventstore import persistence_env
from kabinet.idempotency import IdempotencyMismatch
from services.payments.acquiring import AcquirerAnswer, Outcome
from services.payments.application import PaymentsApplication
from services.payments.domain import Balance
from services.payments.events import Movement
from services.payments.rules import PROMISE_TERMS, TransferPolicy
from services.payments.withdrawals import Withdrawals
from suite.testing import Servers, isolated_settings, remove_namespace
from tests.integration.helpers import numbers

pytestmark = pytest.mark.integration

START = datetime(2026, 5, 1, tzinfo=UTC)
POLICY = TransferPolicy(max_kopecks=3_000_00, daily_kopecks=5_000_00, fee_bps=150)
WHO = st.integers(0, 2)
AMOUNTS = st.integers(5_00, 800_00) | st.sampled_from([9_99, 10_00, 15_000_00, 15_000_01])


class Bank:
    """A stand-in acquirer whose payout outcomes the machine chooses."""

    def __init__(self) -> None:
        self.next: Outcome = "captured"
        self.later: dict[str, Outcome] = {}

    def payout(self, payout_id: str, amount_kopecks: int, card_token: str) -> AcquirerAnswer:
        return AcquirerAnswer(self.next, "refused" if self.next == "declined" else None)

    def payout_status(self, payout_id: str) -> AcquirerAnswer:
        return AcquirerAnswer(self.later.get(payout_id, "pending"), "refused")

    def pay(self, payment_id: str, amount_kopecks: int, card_token: str) -> AcquirerAnswer:
        raise NotImplementedError

    def status(self, payment_id: str) -> AcquirerAnswer:
        raise NotImplementedError

    def verify(self, body: bytes, signature: str | None) -> bool:
        return False


class LedgerMachine(RuleBasedStateMachine):
    app: ClassVar[PaymentsApplication]

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.app.clock = self.clock
        self.people = numbers(3)
        self.app.save(*[Balance.open(m, at=START - timedelta(days=90)) for m in self.people])
        self.effects = ApplicationEffects(self.app, {"ChargeIncurred": self.app.on_charge_incurred})
        self.upstream = f"detailing:{uuid.uuid4().hex[:8]}"
        self.position = 0
        self.last_batch: list[ChargeIncurred] = []
        self.own = dict.fromkeys(self.people, 0)
        self.credit = dict.fromkeys(self.people, 0)
        self.due: dict[str, datetime | None] = dict.fromkeys(self.people)
        self.topped = dict.fromkeys(self.people, 0)
        self.sent_today: dict[str, tuple[str, int]] = {m: ("", 0) for m in self.people}
        self.answers: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self.paid_in = self.charged = self.fees = self.paid_out = 0
        self.redeemed = dict.fromkeys(self.people, 0)
        self.bank = Bank()
        self.withdrawals = Withdrawals(self.app, self.bank)
        self.held: dict[str, tuple[str, int]] = {}  # withdrawal id → (number, amount)
        self.refusals: list[tuple[str, Any, tuple[Any, ...]]] = []  # rule, command, arguments

    # -- steps ---------------------------------------------------------------------------

    @rule(who=WHO, kopecks=AMOUNTS, retry=st.booleans())
    def top_up(self, who: int, kopecks: int, retry: bool) -> None:
        msisdn = self.people[who]
        earlier = [k for (m, k) in self.answers if m == msisdn]
        key = earlier[-1] if retry and earlier else uuid.uuid4().hex
        if (msisdn, key) in self.answers:
            first_amount, first = self.answers[(msisdn, key)]
            if first_amount == kopecks:
                assert self.app.top_up(msisdn, kopecks, key) == first
            else:
                with pytest.raises(IdempotencyMismatch):
                    self.app.top_up(msisdn, kopecks, key)
            return
        if not 10_00 <= kopecks <= 15_000_00:
            self.refused("topup_range", self.app.top_up, msisdn, kopecks, key)
            return
        self.answers[(msisdn, key)] = (kopecks, self.app.top_up(msisdn, kopecks, key))
        self.own[msisdn] += kopecks
        self.topped[msisdn] += kopecks
        self.paid_in += kopecks

        repaid = min(self.credit[msisdn], kopecks)
        self.credit[msisdn] -= repaid
        if self.credit[msisdn] == 0:
            self.due[msisdn] = None

    @rule(who=WHO, kopecks=st.integers(1, 300_00))
    def charge(self, who: int, kopecks: int) -> None:
        self.deliver(self.people[who], kopecks, f"c-{uuid.uuid4().hex}")
        self.own[self.people[who]] -= kopecks
        self.charged += kopecks

    @rule(who=WHO, left=st.integers(-100_00, 49_99))
    def spend_down_to(self, who: int, left: int) -> None:
        """Charges that leave a low balance, where promised payments become possible."""
        kopecks = self.own[self.people[who]] - left
        if kopecks > 0:
            self.charge(who, kopecks)

    @rule(who=WHO, kopecks=st.sampled_from(list(PROMISE_TERMS)), left=st.integers(-50_00, 49_99))
    def run_low_and_ask_for_a_promise(self, who: int, kopecks: int, left: int) -> None:
        if self.topped[self.people[who]] < 100_00:
            self.top_up(who, 100_00, retry=False)
        self.spend_down_to(who, left)
        self.promise(who, kopecks)

    @precondition(lambda self: bool(self.last_batch))
    @rule()
    def redeliver_the_last_charge(self) -> None:
        assert self.effects.apply(self.upstream, self.last_batch) == []

    @precondition(lambda self: bool(self.last_batch))
    @rule()
    def publish_the_last_charge_again(self) -> None:
        event = self.last_batch[-1]
        self.deliver(event.msisdn, event.amount_kopecks, event.charge_id)

    @rule(who=WHO, kopecks=st.sampled_from([*PROMISE_TERMS, 75_00]))
    def promise(self, who: int, kopecks: int) -> None:
        msisdn = self.people[who]
        key = uuid.uuid4().hex
        if kopecks not in PROMISE_TERMS:
            self.refused("promise_amount", self.app.grant_promise, msisdn, kopecks, key)
        elif self.due[msisdn] is not None:
            self.refused("promise_one_at_a_time", self.app.grant_promise, msisdn, kopecks, key)
        elif self.own[msisdn] >= 50_00:
            self.refused("promise_low_balance", self.app.grant_promise, msisdn, kopecks, key)
        elif self.topped[msisdn] < 100_00:
            self.refused("promise_payment_history", self.app.grant_promise, msisdn, kopecks, key)
        else:
            self.app.grant_promise(msisdn, kopecks, key)
            self.credit[msisdn] = kopecks
            self.due[msisdn] = self.clock.now() + timedelta(days=PROMISE_TERMS[kopecks])

    @rule(a=WHO, b=WHO, kopecks=st.integers(0, 3_500_00))
    def transfer(self, a: int, b: int, kopecks: int) -> None:
        sender, receiver = self.people[a], self.people[b]
        key = uuid.uuid4().hex
        day = self.clock.now().date().isoformat()
        today = self.sent_today[sender][1] if self.sent_today[sender][0] == day else 0
        fee = POLICY.fee_for(kopecks)
        args = (sender, receiver, kopecks, key)
        if a == b:
            self.refused("transfer_self", self.app.transfer, *args)
        elif not POLICY.min_kopecks <= kopecks <= POLICY.max_kopecks:
            self.refused("transfer_limit", self.app.transfer, *args)
        elif today + kopecks > POLICY.daily_kopecks:
            self.refused("transfer_daily_limit", self.app.transfer, *args)
        elif self.own[sender] < kopecks + fee:
            self.refused("transfer_own_money", self.app.transfer, *args)
        else:
            answer = self.app.transfer(*args)
            assert self.app.transfer(*args) == answer  # a retried request
            self.own[sender] -= kopecks + fee
            self.own[receiver] += kopecks
            self.fees += fee
            self.sent_today[sender] = (day, today + kopecks)

    @rule(who=WHO, points=st.integers(50, 400))
    def redeem_points(self, who: int, points: int) -> None:
        msisdn = self.people[who]
        key = uuid.uuid4().hex
        if points < 100:
            self.refused("loyalty_minimum", self.app.redeem_points, msisdn, points, key)
        elif points > self.topped[msisdn] // 10_00 - self.redeemed[msisdn]:
            self.refused("loyalty_points", self.app.redeem_points, msisdn, points, key)
        else:
            self.app.redeem_points(msisdn, points, key)
            self.redeemed[msisdn] += points
            self.own[msisdn] += points * 10
            self.paid_in += points * 10

    @rule(
        who=WHO,
        kopecks=st.integers(50_00, 1_000_00),
        outcome=st.sampled_from(["captured", "declined", "pending"]),
    )
    def withdraw(self, who: int, kopecks: int, outcome: Outcome) -> None:
        msisdn = self.people[who]
        args = (msisdn, kopecks, "tok", "1111", uuid.uuid4().hex)
        if kopecks < 100_00:
            self.refused("withdrawal_limit", self.withdrawals.request, *args)
            return
        if self.own[msisdn] < kopecks:
            self.refused("withdrawal_own_money", self.withdrawals.request, *args)
            return
        self.bank.next = outcome
        if outcome == "declined":
            self.refused("payout_rejected", self.withdrawals.request, *args)
            return
        status, answer = self.withdrawals.request(*args)
        self.own[msisdn] -= kopecks
        if outcome == "captured":
            assert status == 201
            self.paid_out += kopecks
        else:
            assert status == 202
            self.held[answer["withdrawal_id"]] = (msisdn, kopecks)

    @precondition(lambda self: bool(self.held))
    @rule(outcome=st.sampled_from(["captured", "declined"]))
    def the_bank_answers_held_payouts(self, outcome: Outcome) -> None:
        for withdrawal_id in self.held:
            self.bank.later[withdrawal_id] = outcome
        assert self.withdrawals.settle_pending() == len(self.held)
        for msisdn, kopecks in self.held.values():
            if outcome == "captured":
                self.paid_out += kopecks
            else:
                self.own[msisdn] += kopecks
        self.held.clear()

    @precondition(lambda self: bool(self.refusals))
    @rule(data=st.data())
    def retry_a_refused_request(self, data: st.DataObject) -> None:
        """The same key and body get the first refusal again, whatever changed since."""
        rule_name, command, args = data.draw(st.sampled_from(self.refusals))
        self.refused(rule_name, command, *args)

    @rule(hours=st.integers(1, 24 * 8))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))
        self.app.expire_due_promises()
        for msisdn, due in self.due.items():
            if due is not None and due <= self.clock.now():
                self.credit[msisdn], self.due[msisdn] = 0, None

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def balances_match_the_model_and_the_fold_of_their_ledgers(self) -> None:
        for msisdn in self.people:
            balance = self.app.balance(msisdn)
            assert (balance.kopecks, balance.credit) == (self.own[msisdn], self.credit[msisdn])
            running = 0
            seen: set[str] = set()
            for event in self.app.repository.event_store.get(balance.id):
                if isinstance(event, Movement):
                    running += event.delta
                    assert event.balance_kopecks == running
                    cause = _cause(event)
                    assert cause not in seen, f"{cause} moved money twice"
                    seen.add(cause)
                if isinstance(event, Balance.TransferSent | Balance.WithdrawalHeld):
                    assert event.balance_kopecks >= 0, "a transfer or payout overdrew the balance"
            assert running == balance.kopecks

    @invariant()
    def points_match_the_model_and_the_fold_of_the_points_ledger(self) -> None:
        for msisdn in self.people:
            balance = self.app.balance(msisdn)
            assert balance.points == self.topped[msisdn] // 10_00 - self.redeemed[msisdn]
            running = 0
            card_payments: set[str] = set()
            earned_for: set[str] = set()
            for event in self.app.repository.event_store.get(balance.id):
                if isinstance(event, Balance.PaymentPosted) and event.method == "card":
                    card_payments.add(event.payment_id)
                if isinstance(event, Balance.LoyaltyPointsEarned):
                    assert event.source_id in card_payments, "points earned without a top-up"
                    assert event.source_id not in earned_for, "a top-up earned points twice"
                    earned_for.add(event.source_id)
                    running += event.points
                elif isinstance(event, Balance.LoyaltyPointsRedeemed):
                    running -= event.points
                else:
                    continue
                assert event.points_balance == running >= 0
            assert running == balance.points

    @invariant()
    def money_is_conserved_across_transfers(self) -> None:
        held = sum(kopecks for _, kopecks in self.held.values())
        out = self.charged + self.fees + self.paid_out + held
        assert sum(self.own.values()) == self.paid_in - out

    # -- helpers -------------------------------------------------------------------------

    def deliver(self, msisdn: str, kopecks: int, charge_id: str) -> None:
        self.position += 1
        event = ChargeIncurred(
            event_id=uuid.uuid4(),
            occurred_at=self.clock.now(),
            position=self.position,
            msisdn=msisdn,
            charge_id=charge_id,
            kind="usage",
            amount_kopecks=kopecks,
            cause_type="UsageRated",
        )
        self.last_batch = [event]
        assert self.effects.apply(self.upstream, self.last_batch) == []

    def refused(self, rule_name: str, command: Any, *args: Any) -> None:
        with pytest.raises(KabinetError) as refused:
            command(*args)
        assert getattr(refused.value, "rule", None) == rule_name
        self.refusals.append((rule_name, command, args))


def _cause(event: Movement) -> str:
    for name in ("charge_id", "payment_id", "transfer_id", "withdrawal_id"):
        if hasattr(event, name):
            return f"{type(event).__name__}:{getattr(event, name)}"
    raise AssertionError(event)


@pytest.fixture
def app(servers: Servers) -> Iterator[PaymentsApplication]:
    isolated = isolated_settings(servers)
    payments = PaymentsApplication(env=persistence_env(isolated, "payments"), transfers=POLICY)
    yield payments
    payments.close()
    asyncio.run(remove_namespace(isolated))


def test_the_ledger_keeps_its_invariants_under_random_money_traffic(
    app: PaymentsApplication,
) -> None:
    LedgerMachine.app = app
    machine = LedgerMachine.TestCase
    machine.settings = settings(
        max_examples=40,
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine().runTest()
