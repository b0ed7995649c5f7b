"""The payout rules: money withdrawn to a card is held until the acquirer's payout
settles, then made final or returned (`Balance.hold_withdrawal`, `settle_withdrawal`)."""

from __future__ import annotations

from services.payments.rules import (
    WITHDRAWAL_MAX_KOPECKS,
    WITHDRAWAL_MIN_KOPECKS,
    InsufficientFunds,
    PaymentsError,
)


def check_withdrawal(amount_kopecks: int, own_kopecks: int) -> None:
    if not WITHDRAWAL_MIN_KOPECKS <= amount_kopecks <= WITHDRAWAL_MAX_KOPECKS:
        raise PaymentsError(
            "a withdrawal must be between 100.00 and 15000.00 RUB",
            field="amount",
            rule="withdrawal_limit",
        )
    if own_kopecks < amount_kopecks:
        raise InsufficientFunds(
            "the balance does not cover the withdrawal (promised credit cannot be withdrawn)",
            field="amount",
            rule="withdrawal_own_money",
        )
