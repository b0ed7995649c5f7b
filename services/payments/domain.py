"""The balance ledger of one subscriber: every command, and the events it triggers.

One aggregate per number; its state, events and folds are in `events.py`. Each business
rule is a plain function of its own module (`promises`, `autopay`, `alerts`, `loyalty`,
`transfers`, `payouts`, `rules`): a command asks the rule, then triggers what it decided.
Stored topics are `services.payments.domain:Balance.<Event>`, so the class stays here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from kabinet.domain import KabinetAggregate, stable_id
from services.payments import alerts, autopay, loyalty, promises
from services.payments.autopay import AutopaySetup
from services.payments.events import BalanceEvents
from services.payments.payouts import check_withdrawal
from services.payments.promises import Promise
from services.payments.rules import InsufficientFunds, PaymentsError, TransferPolicy, check_top_up
from services.payments.transfers import transfer_fee

__all__ = ["Balance", "InsufficientFunds", "PaymentsError", "Promise"]


class Balance(BalanceEvents):
    class Opened(KabinetAggregate.Created):
        msisdn: str

    def __init__(self, msisdn: str) -> None:
        self.msisdn, self.kopecks, self.last_payment_id = msisdn, 0, None
        self.topped_up_kopecks, self.charge_ids = 0, {}
        self.credit, self.promise, self.exhausted = 0, None, False
        self.transfer_day, self.transferred_today, self.withdrawals = "", 0, {}
        self.points, self.earned_points = 0, 0
        self.autopay, self.autopay_armed, self.autopay_pending = None, False, None
        self.autopay_month, self.autopay_month_total = "", 0
        self.alert_level, self.alert_armed = None, False

    @staticmethod
    def id_for(msisdn: str) -> UUID:
        return stable_id("balance", msisdn)

    @classmethod
    def open(cls, msisdn: str, at: datetime | None = None) -> Balance:
        return cls._create(cls.Opened, id=cls.id_for(msisdn), msisdn=msisdn, timestamp=at)

    # Money

    def top_up(
        self, payment_id: str, amount_kopecks: int, at: datetime | None = None, method: str = "card"
    ) -> None:
        """Money in: it repays an open promise first, and a card top-up earns the points
        its money completes, all in the same save."""
        if method == "card":
            check_top_up(amount_kopecks)
        self._move(
            self.PaymentPosted,
            amount_kopecks,
            at,
            payment_id=payment_id,
            method=method,
            amount_kopecks=amount_kopecks,
        )
        if self.promise is not None and self.credit > 0:
            self._ledger_event(
                self.PromisedPaymentRepaid,
                at,
                promise_id=self.promise.promise_id,
                amount_kopecks=min(self.credit, amount_kopecks),
                trigger="topup",
                payment_id=payment_id,
                balance_kopecks=self.kopecks,
            )
        due = loyalty.points_due(self.topped_up_kopecks, self.earned_points)
        if method == "card" and due > 0:
            self._ledger_event(
                self.LoyaltyPointsEarned,
                at,
                points=due,
                points_balance=self.points + due,
                reason="topup",
                source_id=payment_id,
            )

    def apply_charge(
        self, charge_id: str, kind: str, amount_kopecks: int, cause: str | None, at: datetime | None
    ) -> bool:
        """Debit a charge detailing decided; False if this charge was applied before. The
        debit may exhaust the balance, cross the alert level and ask for an autopay."""
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
        if promises.runs_out(self.available, self.exhausted):
            self._exhaust(charge_id, at)
        if alerts.alert_due(self.alert_level, self.alert_armed, self.kopecks):
            assert self.alert_level is not None
            self._ledger_event(
                self.LowBalanceReached,
                at,
                level_kopecks=self.alert_level,
                balance_kopecks=self.kopecks,
                charge_id=charge_id,
            )
        if at is not None:
            self._autopay_after_debit(charge_id, at)
        return True

    # Promised payments

    def grant_promise(self, promise_id: str, amount_kopecks: int, now: datetime) -> None:
        term = promises.promise_term(
            amount_kopecks,
            open_promise=self.promise,
            kopecks=self.kopecks,
            opened_on=self.created_on,
            topped_up_kopecks=self.topped_up_kopecks,
            now=now,
        )
        self._ledger_event(
            self.PromisedPaymentGranted,
            now,
            promise_id=promise_id,
            amount_kopecks=amount_kopecks,
            term_days=term,
            due_at=now + timedelta(days=term),
            balance_kopecks=self.kopecks,
        )

    def expire_promise(self, now: datetime) -> bool:
        """At term end the unpaid credit is withdrawn; the balance may be left negative."""
        if self.promise is None or not promises.is_due(self.promise, now):
            return False
        self._ledger_event(
            self.PromisedPaymentOverdue,
            now,
            promise_id=self.promise.promise_id,
            outstanding_kopecks=self.credit,
            due_at=self.promise.due_at,
            balance_kopecks=self.kopecks,
        )
        if promises.runs_out(self.available, self.exhausted):
            self._exhaust(None, now)
        return True

    # Loyalty points, transfers, payouts

    def redeem_points(self, redemption_id: str, points: int, now: datetime) -> None:
        """Points become balance credit at the published rate."""
        amount = loyalty.redemption_value(points, self.points)
        self._ledger_event(
            self.LoyaltyPointsRedeemed,
            now,
            redemption_id=redemption_id,
            points=points,
            points_balance=self.points - points,
            amount_kopecks=amount,
        )
        self._move(
            self.PaymentPosted,
            amount,
            now,
            payment_id=redemption_id,
            method="loyalty",
            amount_kopecks=amount,
        )

    def send_transfer(
        self,
        transfer_id: str,
        receiver: Balance,
        amount_kopecks: int,
        policy: TransferPolicy,
        now: datetime,
    ) -> None:
        """Money to another number: both ledgers change, saved together by the caller."""
        day = now.date().isoformat()
        fee = transfer_fee(
            policy,
            amount_kopecks,
            to_self=receiver.id == self.id,
            own_kopecks=self.kopecks,
            sent_today=self.transferred_today if self.transfer_day == day else 0,
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

    def hold_withdrawal(
        self,
        withdrawal_id: str,
        amount_kopecks: int,
        card_token: str,
        card_last4: str,
        now: datetime,
    ) -> None:
        """Money to be paid out to a card is held until the acquirer's payout settles."""
        check_withdrawal(amount_kopecks, self.kopecks)
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
            self._ledger_event(
                self.WithdrawalPaid,
                now,
                withdrawal_id=withdrawal_id,
                amount_kopecks=amount_kopecks,
                balance_kopecks=self.kopecks,
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

    # Settings: autopay and the low-balance level

    def configure_autopay(self, setup: AutopaySetup, now: datetime) -> None:
        autopay.check_setup(setup)
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

    def set_alert_level(self, level_kopecks: int | None, now: datetime) -> None:
        alerts.check_level(level_kopecks)
        self.trigger_event(self.AlertLevelSet, level_kopecks=level_kopecks, timestamp=now)

    # What the commands share

    def _ledger_event(self, event_class: Any, at: datetime | None, **fields: Any) -> None:
        """An event of this number's ledger (they all name the number)."""
        self.trigger_event(event_class, msisdn=self.msisdn, timestamp=at, **fields)

    def _move(self, event_class: Any, delta: int, at: datetime | None, **fields: Any) -> None:
        """A movement of own money, carrying the balance after it."""
        self.trigger_event(
            event_class,
            msisdn=self.msisdn,
            balance_kopecks=self.kopecks + delta,
            timestamp=at,
            **fields,
        )

    def _exhaust(self, charge_id: str | None, at: datetime | None) -> None:
        self._ledger_event(
            self.BalanceExhausted,
            at,
            balance_kopecks=self.kopecks,
            available_kopecks=self.available,
            charge_id=charge_id,
        )

    def _autopay_after_debit(self, charge_id: str, at: datetime) -> None:
        """Request one top-up when the debit took the balance below the threshold."""
        decision = autopay.after_debit(
            self.autopay,
            armed=self.autopay_armed,
            pending=self.autopay_pending is not None,
            kopecks=self.kopecks,
            month=self.autopay_month,
            month_total_kopecks=self.autopay_month_total,
            at=at,
        )
        if decision is None:
            return
        autopay_id = str(stable_id("autopay", self.msisdn, charge_id))
        if decision == "monthly_cap_reached":
            return self._autopay_outcome(autopay_id, decision, None, at)
        assert self.autopay is not None
        amount = self.autopay.amount_kopecks
        self.trigger_event(
            self.AutopayRequested, autopay_id=autopay_id, amount_kopecks=amount, timestamp=at
        )

    def _autopay_outcome(
        self, autopay_id: str, outcome: str, payment_id: str | None, at: datetime
    ) -> None:
        assert self.autopay is not None
        paid = autopay.month_total(self.autopay_month, self.autopay_month_total, at)
        fields = autopay.outcome(self.autopay, self.autopay_pending, outcome, paid, at)
        self._ledger_event(
            self.AutopayTriggered,
            at,
            autopay_id=autopay_id,
            outcome=outcome,
            payment_id=payment_id,
            balance_kopecks=self.kopecks,
            **fields,
        )
