"""The published money rules: promised payment terms and eligibility, transfer limits, points.

Every refusal names its rule (`PaymentsError.rule`), so a subscriber learns why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kabinet.idempotency import KeptRefusal

TOPUP_MIN_KOPECKS = 10_00
TOPUP_MAX_KOPECKS = 15_000_00

PROMISE_TERMS: dict[int, int] = {50_00: 3, 100_00: 3, 200_00: 7, 300_00: 7}
"""Promised payment amounts (kopecks) → term in days, as the operator publishes them."""
PROMISE_MAX_BALANCE_KOPECKS = 50_00
"""A promised payment is for a balance that ran low: below 50.00 RUB."""
PROMISE_MIN_ACCOUNT_AGE = timedelta(days=60)
"""The number must have had its balance for at least 60 days."""
PROMISE_MIN_TOPPED_UP_KOPECKS = 100_00
"""Spending history: at least 100.00 RUB paid in by card over the number's life."""

WITHDRAWAL_MIN_KOPECKS = 100_00
WITHDRAWAL_MAX_KOPECKS = 15_000_00

LOYALTY_KOPECKS_PER_POINT = 10_00
"""One point per full 10.00 RUB of card top-ups over the number's life (running total)."""
LOYALTY_POINT_KOPECKS = 10
"""A redeemed point is worth 0.10 RUB of balance credit."""
LOYALTY_MIN_REDEMPTION = 100


@dataclass(frozen=True)
class TransferPolicy:
    """Limits of transfers between subscribers; the fee is in basis points of the amount."""

    min_kopecks: int = 1_00
    max_kopecks: int = 5_000_00
    daily_kopecks: int = 15_000_00
    fee_bps: int = 0

    def fee_for(self, amount_kopecks: int) -> int:
        return (amount_kopecks * self.fee_bps + 9_999) // 10_000


class PaymentsError(KeptRefusal):
    """A refused money command; `rule` is the published rule that refused it. Kept under
    its Idempotency-Key as the key's first answer."""

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message, field=field)
        self.rule = rule

    def stored(self) -> dict[str, Any]:
        """The refusal as kept under an Idempotency-Key (its problem, less the status)."""
        return {**super().stored(), "rule": self.rule}

    @classmethod
    def from_stored(cls, status: int, stored: dict[str, Any]) -> PaymentsError:
        """The refusal kept under a key, raised again as the same problem."""
        kind = REFUSALS.get(stored["title"], PaymentsError)
        refusal = kind(stored["detail"], field=stored["field"], rule=stored["rule"])
        refusal.status = status
        return refusal


class InsufficientFunds(PaymentsError):
    status = 409


class CardDeclined(PaymentsError):
    status = 402


class PayoutRejected(PaymentsError):
    status = 402


def check_top_up(amount_kopecks: int) -> None:
    """A card top-up (or its start) is between 10.00 and 15000.00 RUB."""
    if not TOPUP_MIN_KOPECKS <= amount_kopecks <= TOPUP_MAX_KOPECKS:
        raise PaymentsError(
            "a top-up must be between 10.00 and 15000.00 RUB",
            field="amount",
            rule="topup_range",
        )


REFUSALS: dict[str, type[PaymentsError]] = {
    kind.__name__: kind for kind in (PaymentsError, InsufficientFunds, CardDeclined, PayoutRejected)
}
