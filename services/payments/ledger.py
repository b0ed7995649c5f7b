"""The money part of a subscriber's ledger: movements of own money, each with its cause.

`kopecks` is the subscriber's own money (it may go negative). Every movement event
carries the balance after it, so the balance is the fold of the ledger's movements.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kabinet.domain import KabinetAggregate
from services.payments.promises import PromiseLedger
from services.payments.rules import TOPUP_MAX_KOPECKS, TOPUP_MIN_KOPECKS, PaymentsError

RECENT_CHARGES = 1_000
"""Charge ids remembered per ledger to refuse a repeated charge id (consumer tracking
already drops a redelivered message; this guards against a charge published twice)."""


class Movement(KabinetAggregate.Event):
    """A change of the subscriber's own money; `delta` is signed."""

    msisdn: str
    balance_kopecks: int

    @property
    def delta(self) -> int:
        raise NotImplementedError

    def apply(self, ledger: Any) -> None:  # Any: each part's movements narrow the type
        money: MoneyLedger = ledger
        money.kopecks += self.delta
        assert money.kopecks == self.balance_kopecks, "ledger fold mismatch"
        money.money_is_back()
        money.rearm_autopay()
        money.rearm_alert()


class MoneyLedger(PromiseLedger):
    """Top-ups and charges; the parts above it (loyalty, transfers, payouts) add movements."""

    last_payment_id: str | None
    charge_ids: dict[str, None]  # the most recent charge ids, oldest first

    class PaymentPosted(Movement):
        payment_id: str
        method: str
        amount_kopecks: int

        @property
        def delta(self) -> int:
            return self.amount_kopecks

        def apply(self, ledger: MoneyLedger) -> None:
            super().apply(ledger)
            ledger.last_payment_id = self.payment_id
            if self.method == "card":
                ledger.topped_up_kopecks += self.amount_kopecks

    class ChargeApplied(Movement):
        charge_id: str
        kind: str
        amount_kopecks: int
        charge_event_id: str | None

        @property
        def delta(self) -> int:
            return -self.amount_kopecks

        def apply(self, ledger: MoneyLedger) -> None:
            super().apply(ledger)
            ledger.charge_ids[self.charge_id] = None
            if len(ledger.charge_ids) > RECENT_CHARGES:
                del ledger.charge_ids[next(iter(ledger.charge_ids))]

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
