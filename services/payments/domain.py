"""The balance ledger of one subscriber: every movement is an event with its cause.

`kopecks` is the subscriber's own money (it may go negative); `credit` is the unpaid part
of an open promised payment. Available money is their sum. Every movement event carries
the balance after it, so the balance is the fold of the ledger's movements.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from kabinet.domain import KabinetAggregate, stable_id
from services.payments.promises import Promise, PromiseLedger
from services.payments.rules import (
    LOYALTY_KOPECKS_PER_POINT,
    LOYALTY_MIN_REDEMPTION,
    LOYALTY_POINT_KOPECKS,
    TOPUP_MAX_KOPECKS,
    TOPUP_MIN_KOPECKS,
    WITHDRAWAL_MAX_KOPECKS,
    WITHDRAWAL_MIN_KOPECKS,
    InsufficientFunds,
    PaymentsError,
    TransferPolicy,
)

__all__ = ["Balance", "InsufficientFunds", "PaymentsError", "Promise"]

RECENT_CHARGES = 1_000
"""Charge ids remembered per ledger to refuse a repeated charge id (consumer tracking
already drops a redelivered message; this guards against a charge published twice)."""


class Balance(PromiseLedger):
    class Opened(KabinetAggregate.Created):
        msisdn: str

    class Movement(KabinetAggregate.Event):
        """A change of the subscriber's own money; `delta` is signed."""

        msisdn: str
        balance_kopecks: int

        @property
        def delta(self) -> int:
            raise NotImplementedError

        def apply(self, balance: Balance) -> None:
            balance.kopecks += self.delta
            assert balance.kopecks == self.balance_kopecks, "ledger fold mismatch"
            balance.money_is_back()
            balance.rearm_autopay()
            balance.rearm_alert()

    class PaymentPosted(Movement):
        payment_id: str
        method: str
        amount_kopecks: int

        @property
        def delta(self) -> int:
            return self.amount_kopecks

        def apply(self, balance: Balance) -> None:
            super().apply(balance)
            balance.last_payment_id = self.payment_id
            if self.method == "card":
                balance.topped_up_kopecks += self.amount_kopecks

    class ChargeApplied(Movement):
        charge_id: str
        kind: str
        amount_kopecks: int
        charge_event_id: str | None

        @property
        def delta(self) -> int:
            return -self.amount_kopecks

        def apply(self, balance: Balance) -> None:
            super().apply(balance)
            balance.charge_ids[self.charge_id] = None
            if len(balance.charge_ids) > RECENT_CHARGES:
                del balance.charge_ids[next(iter(balance.charge_ids))]

    class TransferSent(Movement):
        transfer_id: str
        to_msisdn: str
        amount_kopecks: int
        fee_kopecks: int
        day: str

        @property
        def delta(self) -> int:
            return -self.amount_kopecks - self.fee_kopecks

        def apply(self, balance: Balance) -> None:
            super().apply(balance)
            if balance.transfer_day != self.day:
                balance.transfer_day, balance.transferred_today = self.day, 0
            balance.transferred_today += self.amount_kopecks

    class TransferReceived(Movement):
        transfer_id: str
        from_msisdn: str
        amount_kopecks: int

        @property
        def delta(self) -> int:
            return self.amount_kopecks

    class WithdrawalHeld(Movement):
        """Money to be paid out to a card leaves the balance until the payout settles."""

        withdrawal_id: str
        amount_kopecks: int
        card_token: str
        card_last4: str

        @property
        def delta(self) -> int:
            return -self.amount_kopecks

        def apply(self, balance: Balance) -> None:
            super().apply(balance)
            balance.withdrawals[self.withdrawal_id] = "pending"

    class WithdrawalPaid(KabinetAggregate.Event):
        msisdn: str
        withdrawal_id: str
        amount_kopecks: int
        balance_kopecks: int

        def apply(self, balance: Balance) -> None:
            balance.withdrawals[self.withdrawal_id] = "paid"

    class WithdrawalReturned(Movement):
        """The payout failed: the held money comes back."""

        withdrawal_id: str
        amount_kopecks: int

        @property
        def delta(self) -> int:
            return self.amount_kopecks

        def apply(self, balance: Balance) -> None:
            super().apply(balance)
            balance.withdrawals[self.withdrawal_id] = "rejected"

    class LoyaltyPointsRedeemed(KabinetAggregate.Event):
        """Points spent on balance credit; the credit is the PaymentPosted that follows."""

        msisdn: str
        redemption_id: str
        points: int
        points_balance: int
        amount_kopecks: int

        def apply(self, balance: Balance) -> None:
            balance.redeemed_points += self.points

    def __init__(self, msisdn: str) -> None:
        self.msisdn = msisdn
        self.kopecks = 0
        self.credit = 0
        self.promise: Promise | None = None
        self.last_payment_id: str | None = None
        self.topped_up_kopecks = 0
        self.charge_ids: dict[str, None] = {}  # the most recent charge ids, oldest first
        self.transfer_day = ""
        self.transferred_today = 0
        self.exhausted = False
        self.withdrawals: dict[str, str] = {}  # withdrawal id → pending, paid or rejected
        self.redeemed_points = 0
        self.init_autopay()
        self.init_alerts()

    @staticmethod
    def id_for(msisdn: str) -> UUID:
        return stable_id("balance", msisdn)

    @classmethod
    def open(cls, msisdn: str, at: datetime | None = None) -> Balance:
        return cls._create(cls.Opened, id=cls.id_for(msisdn), msisdn=msisdn, timestamp=at)

    @property
    def points(self) -> int:
        """Loyalty points: one per full 10.00 RUB of card top-ups, less those redeemed.

        Derived from the ledger's own PaymentPosted events, so points move exactly as
        often as the money they are earned on.
        """
        return self.topped_up_kopecks // LOYALTY_KOPECKS_PER_POINT - self.redeemed_points

    def _move(self, event_class: Any, delta: int, at: datetime | None, **fields: Any) -> None:
        self.trigger_event(
            event_class,
            msisdn=self.msisdn,
            balance_kopecks=self.kopecks + delta,
            timestamp=at,
            **fields,
        )

    def top_up(
        self, payment_id: str, amount_kopecks: int, at: datetime | None = None, method: str = "card"
    ) -> None:
        if method == "card" and not TOPUP_MIN_KOPECKS <= amount_kopecks <= TOPUP_MAX_KOPECKS:
            raise PaymentsError(
                "a top-up must be between 10.00 and 15000.00 RUB",
                field="amount",
                rule="topup_range",
            )
        self._move(
            self.PaymentPosted,
            amount_kopecks,
            at,
            payment_id=payment_id,
            method=method,
            amount_kopecks=amount_kopecks,
        )
        if self.promise is not None and self.credit > 0:
            self.trigger_event(
                self.PromisedPaymentRepaid,
                msisdn=self.msisdn,
                promise_id=self.promise.promise_id,
                amount_kopecks=min(self.credit, amount_kopecks),
                trigger="topup",
                payment_id=payment_id,
                balance_kopecks=self.kopecks,
                timestamp=at,
            )

    def apply_charge(
        self, charge_id: str, kind: str, amount_kopecks: int, cause: str | None, at: datetime | None
    ) -> bool:
        """Debit a charge detailing decided; False if this charge was applied before."""
        if charge_id in self.charge_ids:
            return False
        self._move(
            self.ChargeApplied,
            -amount_kopecks,
            at,
            charge_id=charge_id,
            kind=kind,
            amount_kopecks=amount_kopecks,
            charge_event_id=cause,
        )
        if self.available <= 0 and not self.exhausted:
            self._exhaust(charge_id, at)
        self.maybe_alert(charge_id, at)
        if at is not None:
            self.maybe_trigger_autopay(charge_id, at)
        return True

    def redeem_points(self, redemption_id: str, points: int, now: datetime) -> None:
        """Points become balance credit at the published rate."""
        if points < LOYALTY_MIN_REDEMPTION:
            raise PaymentsError(
                f"at least {LOYALTY_MIN_REDEMPTION} points are redeemed at once",
                field="points",
                rule="loyalty_minimum",
            )
        if points > self.points:
            raise InsufficientFunds(
                f"only {self.points} points to redeem", field="points", rule="loyalty_points"
            )
        amount = points * LOYALTY_POINT_KOPECKS
        self.trigger_event(
            self.LoyaltyPointsRedeemed,
            msisdn=self.msisdn,
            redemption_id=redemption_id,
            points=points,
            points_balance=self.points - points,
            amount_kopecks=amount,
            timestamp=now,
        )
        self._move(
            self.PaymentPosted,
            amount,
            now,
            payment_id=redemption_id,
            method="loyalty",
            amount_kopecks=amount,
        )

    def hold_withdrawal(
        self,
        withdrawal_id: str,
        amount_kopecks: int,
        card_token: str,
        card_last4: str,
        now: datetime,
    ) -> None:
        if not WITHDRAWAL_MIN_KOPECKS <= amount_kopecks <= WITHDRAWAL_MAX_KOPECKS:
            raise PaymentsError(
                "a withdrawal must be between 100.00 and 15000.00 RUB",
                field="amount",
                rule="withdrawal_limit",
            )
        if self.kopecks < amount_kopecks:
            raise InsufficientFunds(
                "the balance does not cover the withdrawal (promised credit cannot be withdrawn)",
                field="amount",
                rule="withdrawal_own_money",
            )
        self._move(
            self.WithdrawalHeld,
            -amount_kopecks,
            now,
            withdrawal_id=withdrawal_id,
            amount_kopecks=amount_kopecks,
            card_token=card_token,
            card_last4=card_last4,
        )

    def settle_withdrawal(
        self, withdrawal_id: str, amount_kopecks: int, paid: bool, now: datetime
    ) -> bool:
        """Paid: the hold becomes final. Rejected: the money returns. False if settled."""
        if self.withdrawals.get(withdrawal_id) != "pending":
            return False
        if paid:
            self.trigger_event(
                self.WithdrawalPaid,
                msisdn=self.msisdn,
                withdrawal_id=withdrawal_id,
                amount_kopecks=amount_kopecks,
                balance_kopecks=self.kopecks,
                timestamp=now,
            )
        else:
            self._move(
                self.WithdrawalReturned,
                amount_kopecks,
                now,
                withdrawal_id=withdrawal_id,
                amount_kopecks=amount_kopecks,
            )
        return True

    def send_transfer(
        self,
        transfer_id: str,
        receiver: Balance,
        amount_kopecks: int,
        policy: TransferPolicy,
        now: datetime,
    ) -> None:
        if receiver.id == self.id:
            raise PaymentsError("a transfer needs another number", field="to", rule="transfer_self")
        if not policy.min_kopecks <= amount_kopecks <= policy.max_kopecks:
            raise PaymentsError(
                f"a transfer must be between {policy.min_kopecks / 100:.2f} and "
                f"{policy.max_kopecks / 100:.2f} RUB",
                field="amount",
                rule="transfer_limit",
            )
        day = now.date().isoformat()
        today = self.transferred_today if self.transfer_day == day else 0
        if today + amount_kopecks > policy.daily_kopecks:
            raise PaymentsError(
                f"transfers are limited to {policy.daily_kopecks / 100:.2f} RUB a day",
                field="amount",
                rule="transfer_daily_limit",
            )
        fee = policy.fee_for(amount_kopecks)
        if self.kopecks < amount_kopecks + fee:
            raise InsufficientFunds(
                "the balance does not cover the transfer and its fee (promised credit cannot "
                "be transferred)",
                field="amount",
                rule="transfer_own_money",
            )
        self._move(
            self.TransferSent,
            -amount_kopecks - fee,
            now,
            transfer_id=transfer_id,
            to_msisdn=receiver.msisdn,
            amount_kopecks=amount_kopecks,
            fee_kopecks=fee,
            day=day,
        )
        receiver._move(
            receiver.TransferReceived,
            amount_kopecks,
            now,
            transfer_id=transfer_id,
            from_msisdn=self.msisdn,
            amount_kopecks=amount_kopecks,
        )
