"""Promised payments on the ledger: credit while the balance is low, repaid from the next
card top-up, withdrawn when its term ends — and the `BalanceExhausted` that follows when
available money (balance + promised credit) runs out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kabinet.domain import KabinetAggregate
from services.payments.autopay import AutopayLedger
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


class PromiseLedger(AutopayLedger):
    """The promised-payment and exhaustion part of a subscriber's ledger (`Balance`)."""

    credit: int
    promise: Promise | None
    topped_up_kopecks: int
    exhausted: bool

    class PromisedPaymentGranted(KabinetAggregate.Event):
        msisdn: str
        promise_id: str
        amount_kopecks: int
        term_days: int
        due_at: datetime
        balance_kopecks: int

        def apply(self, balance: PromiseLedger) -> None:
            balance.promise = Promise(self.promise_id, self.amount_kopecks, self.due_at)
            balance.credit = self.amount_kopecks
            balance.money_is_back()

    class PromisedPaymentRepaid(KabinetAggregate.Event):
        msisdn: str
        promise_id: str
        amount_kopecks: int
        trigger: str
        payment_id: str | None
        balance_kopecks: int

        def apply(self, balance: PromiseLedger) -> None:
            balance.credit -= self.amount_kopecks
            if balance.credit == 0:
                balance.promise = None

    class PromisedPaymentOverdue(KabinetAggregate.Event):
        """The term ended: the unpaid credit is withdrawn, so available money shrinks."""

        msisdn: str
        promise_id: str
        outstanding_kopecks: int
        due_at: datetime
        balance_kopecks: int

        def apply(self, balance: PromiseLedger) -> None:
            balance.credit, balance.promise = 0, None

    class BalanceExhausted(KabinetAggregate.Event):
        msisdn: str
        balance_kopecks: int
        available_kopecks: int
        charge_id: str | None

        def apply(self, balance: PromiseLedger) -> None:
            balance.exhausted = True

    @property
    def available(self) -> int:
        return self.kopecks + self.credit

    def money_is_back(self) -> None:
        """Once money is available again, the next run-out is news again."""
        if self.available > 0:
            self.exhausted = False

    def _exhaust(self, charge_id: str | None, at: datetime | None) -> None:
        self.trigger_event(
            self.BalanceExhausted,
            msisdn=self.msisdn,
            balance_kopecks=self.kopecks,
            available_kopecks=self.available,
            charge_id=charge_id,
            timestamp=at,
        )

    def grant_promise(self, promise_id: str, amount_kopecks: int, now: datetime) -> None:
        term = PROMISE_TERMS.get(amount_kopecks)
        if term is None:
            raise PaymentsError(
                "a promised payment is 50.00 or 100.00 RUB (3 days) or 200.00 or 300.00 RUB "
                "(7 days)",
                field="amount",
                rule="promise_amount",
            )
        if self.promise is not None:
            raise PaymentsError(
                "only one promised payment at a time: repay the open one first",
                field="amount",
                rule="promise_one_at_a_time",
            )
        if self.kopecks >= PROMISE_MAX_BALANCE_KOPECKS:
            raise PaymentsError(
                "a promised payment is available while the balance is below 50.00 RUB",
                field="amount",
                rule="promise_low_balance",
            )
        if now - self.created_on < PROMISE_MIN_ACCOUNT_AGE:
            raise PaymentsError(
                "a promised payment needs a number served for at least 60 days",
                field="msisdn",
                rule="promise_account_age",
            )
        if self.topped_up_kopecks < PROMISE_MIN_TOPPED_UP_KOPECKS:
            raise PaymentsError(
                "a promised payment needs a payment history of at least 100.00 RUB in card top-ups",
                field="msisdn",
                rule="promise_payment_history",
            )
        self.trigger_event(
            self.PromisedPaymentGranted,
            msisdn=self.msisdn,
            promise_id=promise_id,
            amount_kopecks=amount_kopecks,
            term_days=term,
            due_at=now + timedelta(days=term),
            balance_kopecks=self.kopecks,
            timestamp=now,
        )

    def expire_promise(self, now: datetime) -> bool:
        """At term end the unpaid credit is withdrawn; the balance may be left negative."""
        if self.promise is None or self.promise.due_at > now:
            return False
        self.trigger_event(
            self.PromisedPaymentOverdue,
            msisdn=self.msisdn,
            promise_id=self.promise.promise_id,
            outstanding_kopecks=self.credit,
            due_at=self.promise.due_at,
            balance_kopecks=self.kopecks,
            timestamp=now,
        )
        if self.available <= 0 and not self.exhausted:
            self._exhaust(None, now)
        return True
