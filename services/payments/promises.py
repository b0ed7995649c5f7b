"""The promised-payment rules: which amounts, for whom, and when the credit is withdrawn.

A promised payment is credit while the balance is low, repaid from the next top-up and
withdrawn when its term ends (`Balance.grant_promise`, `Balance.expire_promise`). These
functions decide; the ledger records what they decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.payments.rules import (
    PROMISE_MAX_BALANCE_KOPECKS,
    PROMISE_MIN_ACCOUNT_AGE,
    PROMISE_MIN_TOPPED_UP_KOPECKS,
    PROMISE_TERMS,
    PaymentsError,
)


@dataclass(frozen=True)
class Promise:
    promise_id: str
    amount_kopecks: int
    due_at: datetime


def promise_term(
    amount_kopecks: int,
    *,
    open_promise: Promise | None,
    kopecks: int,
    opened_on: datetime,
    topped_up_kopecks: int,
    now: datetime,
) -> int:
    """The term in days of a promised payment of this amount, or the rule that refuses it."""
    term = PROMISE_TERMS.get(amount_kopecks)
    if term is None:
        raise PaymentsError(
            "a promised payment is 50.00 or 100.00 RUB (3 days) or 200.00 or 300.00 RUB (7 days)",
            field="amount",
            rule="promise_amount",
        )
    if open_promise is not None:
        raise PaymentsError(
            "only one promised payment at a time: repay the open one first",
            field="amount",
            rule="promise_one_at_a_time",
        )
    if kopecks >= PROMISE_MAX_BALANCE_KOPECKS:
        raise PaymentsError(
            "a promised payment is available while the balance is below 50.00 RUB",
            field="amount",
            rule="promise_low_balance",
        )
    if now - opened_on < PROMISE_MIN_ACCOUNT_AGE:
        raise PaymentsError(
            "a promised payment needs a number served for at least 60 days",
            field="msisdn",
            rule="promise_account_age",
        )
    if topped_up_kopecks < PROMISE_MIN_TOPPED_UP_KOPECKS:
        raise PaymentsError(
            "a promised payment needs a payment history of at least 100.00 RUB in card top-ups",
            field="msisdn",
            rule="promise_payment_history",
        )
    return term


def is_due(promise: Promise | None, now: datetime) -> bool:
    """An open promise whose term has ended: its unpaid credit is withdrawn now."""
    return promise is not None and promise.due_at <= now


def runs_out(available_kopecks: int, already_exhausted: bool) -> bool:
    """Available money (balance + promised credit) ran out, and that is news: announced
    once, again only after money was available in between."""
    return available_kopecks <= 0 and not already_exhausted
