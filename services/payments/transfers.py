"""The transfer part of a subscriber's ledger: money to another number of the operator,
within the per-transfer and daily limits, both ledgers changed in one save."""

from __future__ import annotations

from datetime import datetime

from services.payments.ledger import MoneyLedger, Movement
from services.payments.rules import InsufficientFunds, PaymentsError, TransferPolicy


class TransferLedger(MoneyLedger):
    transfer_day: str
    transferred_today: int

    class TransferSent(Movement):
        transfer_id: str
        to_msisdn: str
        amount_kopecks: int
        fee_kopecks: int
        day: str

        @property
        def delta(self) -> int:
            return -self.amount_kopecks - self.fee_kopecks

        def apply(self, ledger: TransferLedger) -> None:
            super().apply(ledger)
            if ledger.transfer_day != self.day:
                ledger.transfer_day, ledger.transferred_today = self.day, 0
            ledger.transferred_today += self.amount_kopecks

    class TransferReceived(Movement):
        transfer_id: str
        from_msisdn: str
        amount_kopecks: int

        @property
        def delta(self) -> int:
            return self.amount_kopecks

    def send_transfer(
        self,
        transfer_id: str,
        receiver: TransferLedger,
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
