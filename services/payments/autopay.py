"""The autopay rules: a linked card token, a threshold, an amount and a monthly cap.

When a charge takes the balance below the threshold, one top-up is requested — not one
per charge: autopay re-arms only once the balance is at or above the threshold again.
A request past the monthly cap is refused on the spot (`monthly_cap_reached`); otherwise
the acquirer is asked outside the charge's transaction and the outcome is recorded as
`AutopayTriggered` (with the `PaymentPosted` when it succeeded). These functions decide;
`Balance` records what they decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from services.payments.rules import TOPUP_MAX_KOPECKS, TOPUP_MIN_KOPECKS, PaymentsError


@dataclass(frozen=True)
class AutopaySetup:
    card_token: str
    card_last4: str
    threshold_kopecks: int
    amount_kopecks: int
    monthly_cap_kopecks: int


def check_setup(setup: AutopaySetup) -> None:
    if not TOPUP_MIN_KOPECKS <= setup.amount_kopecks <= TOPUP_MAX_KOPECKS:
        raise PaymentsError(
            "an autopay amount is between 10.00 and 15000.00 RUB",
            field="amount",
            rule="topup_range",
        )
    if not 0 <= setup.threshold_kopecks <= TOPUP_MAX_KOPECKS:
        raise PaymentsError(
            "the threshold is between 0.00 and 15000.00 RUB",
            field="threshold",
            rule="autopay_threshold",
        )
    if setup.monthly_cap_kopecks < setup.amount_kopecks:
        raise PaymentsError(
            "the monthly cap must allow at least one payment",
            field="monthly_cap",
            rule="autopay_cap",
        )


def month_of(at: datetime) -> str:
    """The calendar month the cap counts in."""
    return at.strftime("%Y-%m")


def month_total(month: str, total_kopecks: int, at: datetime) -> int:
    """What autopay paid in the month of `at` (`month`, `total`: the last month counted)."""
    return total_kopecks if month == month_of(at) else 0


def rearms(setup: AutopaySetup | None, kopecks: int) -> bool:
    """The balance is back at or above the threshold: the next fall below asks again."""
    return setup is not None and kopecks >= setup.threshold_kopecks


def after_debit(
    setup: AutopaySetup | None,
    *,
    armed: bool,
    pending: bool,
    kopecks: int,
    month: str,
    month_total_kopecks: int,
    at: datetime,
) -> Literal["request", "monthly_cap_reached"] | None:
    """After a debit at `at`: ask the acquirer for a top-up, refuse it over the cap, or
    nothing (`month`, `month_total_kopecks`: the last month autopay counted)."""
    if setup is None or not armed or pending or kopecks >= setup.threshold_kopecks:
        return None
    paid = month_total(month, month_total_kopecks, at)
    if paid + setup.amount_kopecks > setup.monthly_cap_kopecks:
        return "monthly_cap_reached"
    return "request"


def outcome(
    setup: AutopaySetup,
    pending: tuple[str, int] | None,
    outcome: str,
    paid_this_month: int,
    at: datetime,
) -> dict[str, Any]:
    """The figures of an `AutopayTriggered`: the amount asked, and the month's total after
    it (a declined or refused request pays nothing)."""
    amount = pending[1] if pending else setup.amount_kopecks
    paid = amount if outcome == "succeeded" else 0
    return {
        "threshold_kopecks": setup.threshold_kopecks,
        "amount_kopecks": amount,
        "month": month_of(at),
        "month_total_kopecks": paid_this_month + paid,
        "monthly_cap_kopecks": setup.monthly_cap_kopecks,
        "card_token": setup.card_token,
        "card_last4": setup.card_last4,
    }
