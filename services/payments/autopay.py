"""Autopay on the ledger: a linked card token, a threshold, an amount and a monthly cap.

When a charge takes the balance below the threshold, one top-up is requested — not one
per charge: autopay re-arms only once the balance is at or above the threshold again.
A request past the monthly cap is refused on the spot (`monthly_cap_reached`); otherwise
the acquirer is asked outside the charge's transaction and the outcome is recorded as
`AutopayTriggered` (with the `PaymentPosted` when it succeeded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kabinet.domain import KabinetAggregate, stable_id
from services.payments.alerts import LowBalanceAlerts
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


class AutopayLedger(LowBalanceAlerts):
    """The autopay part of a subscriber's ledger (the `Balance` aggregate)."""

    msisdn: str
    kopecks: int
    autopay: AutopaySetup | None
    autopay_armed: bool
    autopay_pending: tuple[str, int] | None  # (autopay id, amount) awaiting the acquirer
    autopay_month: str
    autopay_month_total: int

    class AutopayConfigured(KabinetAggregate.Event):
        card_token: str
        card_last4: str
        threshold_kopecks: int
        amount_kopecks: int
        monthly_cap_kopecks: int

        def apply(self, ledger: AutopayLedger) -> None:
            ledger.autopay = AutopaySetup(
                self.card_token,
                self.card_last4,
                self.threshold_kopecks,
                self.amount_kopecks,
                self.monthly_cap_kopecks,
            )
            ledger.autopay_armed = ledger.kopecks >= self.threshold_kopecks

    class AutopayCancelled(KabinetAggregate.Event):
        def apply(self, ledger: AutopayLedger) -> None:
            ledger.autopay, ledger.autopay_armed = None, False

    class AutopayRequested(KabinetAggregate.Event):
        """Internal: a top-up to ask the acquirer for (published as AutopayTriggered)."""

        autopay_id: str
        amount_kopecks: int

        def apply(self, ledger: AutopayLedger) -> None:
            ledger.autopay_armed = False
            ledger.autopay_pending = (self.autopay_id, self.amount_kopecks)

    class AutopayTriggered(KabinetAggregate.Event):
        msisdn: str
        autopay_id: str
        outcome: str
        threshold_kopecks: int
        amount_kopecks: int
        month: str
        month_total_kopecks: int
        monthly_cap_kopecks: int
        card_token: str
        card_last4: str
        payment_id: str | None
        balance_kopecks: int

        def apply(self, ledger: AutopayLedger) -> None:
            ledger.autopay_armed = ledger.autopay_armed and self.outcome == "succeeded"
            ledger.autopay_pending = None
            ledger.autopay_month, ledger.autopay_month_total = self.month, self.month_total_kopecks

    def init_autopay(self) -> None:
        self.autopay, self.autopay_armed, self.autopay_pending = None, False, None
        self.autopay_month, self.autopay_month_total = "", 0

    def rearm_autopay(self) -> None:
        if self.autopay is not None and self.kopecks >= self.autopay.threshold_kopecks:
            self.autopay_armed = True

    def top_up(
        self, payment_id: str, amount_kopecks: int, at: datetime | None = None, method: str = "card"
    ) -> None:
        raise NotImplementedError

    def configure_autopay(self, setup: AutopaySetup, now: datetime) -> None:
        check_setup(setup)
        self.trigger_event(
            self.AutopayConfigured,
            card_token=setup.card_token,
            card_last4=setup.card_last4,
            threshold_kopecks=setup.threshold_kopecks,
            amount_kopecks=setup.amount_kopecks,
            monthly_cap_kopecks=setup.monthly_cap_kopecks,
            timestamp=now,
        )

    def cancel_autopay(self, now: datetime) -> None:
        if self.autopay is None:
            raise PaymentsError("autopay is not set up", field="autopay", rule="autopay_missing")
        self.trigger_event(self.AutopayCancelled, timestamp=now)

    def maybe_trigger_autopay(self, charge_id: str, at: datetime) -> None:
        """After a debit: request one top-up when the balance fell below the threshold."""
        setup = self.autopay
        if setup is None or not self.autopay_armed or self.autopay_pending is not None:
            return
        if self.kopecks >= setup.threshold_kopecks:
            return
        autopay_id = str(stable_id("autopay", self.msisdn, charge_id))
        if self._month_total(at) + setup.amount_kopecks > setup.monthly_cap_kopecks:
            self._autopay_outcome(autopay_id, "monthly_cap_reached", None, at)
        else:
            self.trigger_event(
                self.AutopayRequested,
                autopay_id=autopay_id,
                amount_kopecks=setup.amount_kopecks,
                timestamp=at,
            )

    def settle_autopay(self, autopay_id: str, captured: bool, at: datetime) -> bool:
        """The acquirer's answer; False if this request is not the pending one."""
        if self.autopay_pending is None or self.autopay_pending[0] != autopay_id:
            return False
        if captured:
            self.top_up(autopay_id, self.autopay_pending[1], at, method="autopay")
        self._autopay_outcome(
            autopay_id,
            "succeeded" if captured else "declined",
            autopay_id if captured else None,
            at,
        )
        return True

    def _month_total(self, at: datetime) -> int:
        return self.autopay_month_total if self.autopay_month == at.strftime("%Y-%m") else 0

    def _autopay_outcome(
        self, autopay_id: str, outcome: str, payment_id: str | None, at: datetime
    ) -> None:
        setup = self.autopay
        assert setup is not None
        amount = self.autopay_pending[1] if self.autopay_pending else setup.amount_kopecks
        paid = amount if outcome == "succeeded" else 0
        self.trigger_event(
            self.AutopayTriggered,
            msisdn=self.msisdn,
            autopay_id=autopay_id,
            outcome=outcome,
            threshold_kopecks=setup.threshold_kopecks,
            amount_kopecks=amount,
            month=at.strftime("%Y-%m"),
            month_total_kopecks=self._month_total(at) + paid,
            monthly_cap_kopecks=setup.monthly_cap_kopecks,
            card_token=setup.card_token,
            card_last4=setup.card_last4,
            payment_id=payment_id,
            balance_kopecks=self.kopecks,
            timestamp=at,
        )
