"""The loyalty part of a subscriber's ledger: points earned on card top-ups, redeemed for
balance credit at the published rate (`rules.LOYALTY_*`)."""

from __future__ import annotations

from datetime import datetime

from kabinet.domain import KabinetAggregate
from services.payments.ledger import MoneyLedger
from services.payments.rules import (
    LOYALTY_KOPECKS_PER_POINT,
    LOYALTY_MIN_REDEMPTION,
    LOYALTY_POINT_KOPECKS,
    InsufficientFunds,
    PaymentsError,
)


class LoyaltyLedger(MoneyLedger):
    redeemed_points: int

    class LoyaltyPointsRedeemed(KabinetAggregate.Event):
        """Points spent on balance credit; the credit is the PaymentPosted that follows."""

        msisdn: str
        redemption_id: str
        points: int
        points_balance: int
        amount_kopecks: int

        def apply(self, ledger: LoyaltyLedger) -> None:
            ledger.redeemed_points += self.points

    @property
    def points(self) -> int:
        """Loyalty points: one per full 10.00 RUB of card top-ups, less those redeemed.

        Derived from the ledger's own PaymentPosted events, so points move exactly as
        often as the money they are earned on.
        """
        return self.topped_up_kopecks // LOYALTY_KOPECKS_PER_POINT - self.redeemed_points

    def redeem_points(self, redemption_id: str, points: int, now: datetime) -> None:
        """Points become balance credit at the published rate."""
        if points < LOYALTY_MIN_REDEMPTION:
            raise PaymentsError(
                f"at least {LOYALTY_MIN_REDEMPTION} points are redeemed at once",
                field="points",
                rule="loyalty_minimum",
            )
        if points > self.points:
            raise InsufficientFunds(
                f"only {self.points} points to redeem", field="points", rule="loyalty_points"
            )
        amount = points * LOYALTY_POINT_KOPECKS
        self.trigger_event(
            self.LoyaltyPointsRedeemed,
            msisdn=self.msisdn,
            redemption_id=redemption_id,
            points=points,
            points_balance=self.points - points,
            amount_kopecks=amount,
            timestamp=now,
        )
        self._move(
            self.PaymentPosted,
            amount,
            now,
            payment_id=redemption_id,
            method="loyalty",
            amount_kopecks=amount,
        )
