"""Withdrawal to a card: the money is held on the ledger, the acquirer pays it out; a
paid payout makes the hold final, a rejected one returns the money. A payout whose outcome
is unknown stays held until the janitor's poll learns it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from kabinet.domain import stable_id
from kabinet.money import format_rub
from services.payments.acquiring import Acquirer, AcquirerAnswer
from services.payments.application import LEDGERS, PaymentsApplication
from services.payments.domain import Balance
from services.payments.rules import PayoutRejected
from services.payments.watch import Watchlist


class Withdrawals:
    def __init__(self, app: PaymentsApplication, acquirer: Acquirer) -> None:
        self.app = app
        self.acquirer = acquirer
        self.held = Watchlist(app, Balance.WithdrawalHeld)

    def request(
        self, msisdn: str, amount_kopecks: int, card_token: str, card_last4: str, key: str
    ) -> tuple[int, dict[str, Any]]:
        def attempt() -> tuple[list[Any], dict[str, Any]]:
            balance = self.app.balance(msisdn)
            withdrawal_id = str(stable_id("withdrawal", msisdn, key))
            balance.hold_withdrawal(
                withdrawal_id, amount_kopecks, card_token, card_last4, self.app.clock.now()
            )
            return [balance], {
                "withdrawal_id": withdrawal_id,
                "msisdn": msisdn,
                "amount": format_rub(amount_kopecks),
                LEDGERS: {msisdn: balance.version},
            }

        body = {"amount_kopecks": amount_kopecks, "card_token": card_token, "last4": card_last4}
        first = self.app.idempotent(f"withdrawal:{msisdn}", key, body, attempt)
        withdrawal_id = first["withdrawal_id"]
        if self.app.balance(msisdn).withdrawals.get(withdrawal_id) == "pending":
            answer = self.acquirer.payout(withdrawal_id, amount_kopecks, card_token)
            self.settle(msisdn, withdrawal_id, amount_kopecks, answer)
        return self.answer(msisdn, withdrawal_id, first)

    def settle(self, msisdn: str, withdrawal_id: str, amount: int, answer: AcquirerAnswer) -> bool:
        if answer.outcome == "pending":
            return False
        paid = answer.outcome == "captured"
        return self.app.change_balance(
            msisdn,
            lambda b: b.settle_withdrawal(withdrawal_id, amount, paid, self.app.clock.now()),
            "withdrawal_id",
        )

    def answer(
        self, msisdn: str, withdrawal_id: str, first: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        balance = self.app.balance(msisdn)
        status = balance.withdrawals[withdrawal_id]
        if status == "rejected":
            raise PayoutRejected(
                "the card refused the payout; the money is back on the balance",
                field="card_token",
                rule="payout_rejected",
            )
        view = {**first, "status": status, "balance": format_rub(balance.kopecks)}
        return (201 if status == "paid" else 202), view

    def settle_pending(self) -> int:
        """The janitor: ask the acquirer about every payout still held."""
        settled = 0
        for balance_id in self.held.refresh():
            balance: Balance = self.app.repository.get(balance_id)
            pending = [w for w, s in balance.withdrawals.items() if s == "pending"]
            if not pending:
                self.held.discard(balance_id)
            for withdrawal_id in pending:
                amount = self._held_amount(balance_id, withdrawal_id)
                answer = self.acquirer.payout_status(withdrawal_id)
                settled += self.settle(balance.msisdn, withdrawal_id, amount, answer)
        return settled

    def _held_amount(self, balance_id: UUID, withdrawal_id: str) -> int:
        for event in self.app.repository.event_store.get(balance_id, desc=True):
            if isinstance(event, Balance.WithdrawalHeld) and event.withdrawal_id == withdrawal_id:
                return event.amount_kopecks
        raise LookupError(withdrawal_id)
