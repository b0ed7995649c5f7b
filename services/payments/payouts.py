"""The payout part of a subscriber's ledger: money withdrawn to a card is held until the
acquirer's payout settles, then made final or returned."""

from __future__ import annotations

from datetime import datetime

from kabinet.domain import KabinetAggregate
from services.payments.ledger import MoneyLedger, Movement
from services.payments.rules import (
    WITHDRAWAL_MAX_KOPECKS,
    WITHDRAWAL_MIN_KOPECKS,
    InsufficientFunds,
    PaymentsError,
)


class PayoutLedger(MoneyLedger):
    withdrawals: dict[str, str]  # withdrawal id → pending, paid or rejected

    class WithdrawalHeld(Movement):
        """Money to be paid out to a card leaves the balance until the payout settles."""

        withdrawal_id: str
        amount_kopecks: int
        card_token: str
        card_last4: str

        @property
        def delta(self) -> int:
            return -self.amount_kopecks

        def apply(self, ledger: PayoutLedger) -> None:
            super().apply(ledger)
            ledger.withdrawals[self.withdrawal_id] = "pending"

    class WithdrawalPaid(KabinetAggregate.Event):
        msisdn: str
        withdrawal_id: str
        amount_kopecks: int
        balance_kopecks: int

        def apply(self, ledger: PayoutLedger) -> None:
            ledger.withdrawals[self.withdrawal_id] = "paid"

    class WithdrawalReturned(Movement):
        """The payout failed: the held money comes back."""

        withdrawal_id: str
        amount_kopecks: int

        @property
        def delta(self) -> int:
            return self.amount_kopecks

        def apply(self, ledger: PayoutLedger) -> None:
            super().apply(ledger)
            ledger.withdrawals[self.withdrawal_id] = "rejected"

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
