"""The loyalty part of a subscriber's ledger: a points ledger beside the money.

The published rule (`rules.LOYALTY_*`): one point per full 10.00 RUB of card top-ups over
the number's life, earned in the top-up's own save (`LoyaltyPointsEarned`, its cause the
payment); at least 100 points redeemed at once for 0.10 RUB of balance each, in one save
with the money (`LoyaltyPointsRedeemed`, then a `PaymentPosted` with method `loyalty`).
Every points event carries the points after it, so the points are the fold of the
ledger's points events, as the balance is of its movements.
"""

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
    points: int
    earned_points: int  # over the number's life: what the card top-ups have earned so far

    class LoyaltyPointsEarned(KabinetAggregate.Event):
        msisdn: str
        points: int
        points_balance: int
        reason: str
        source_id: str

        def apply(self, ledger: LoyaltyLedger) -> None:
            ledger.points += self.points
            ledger.earned_points += self.points

    class LoyaltyPointsRedeemed(KabinetAggregate.Event):
        """Points spent on balance credit; the credit is the PaymentPosted that follows."""

        msisdn: str
        redemption_id: str
        points: int
        points_balance: int
        amount_kopecks: int

        def apply(self, ledger: LoyaltyLedger) -> None:
            ledger.points -= self.points

    def top_up(
        self, payment_id: str, amount_kopecks: int, at: datetime | None = None, method: str = "card"
    ) -> None:
        """A top-up; a card top-up earns the points its money completes, in the same save."""
        super().top_up(payment_id, amount_kopecks, at, method)
        due = self.topped_up_kopecks // LOYALTY_KOPECKS_PER_POINT - self.earned_points
        if method == "card" and due > 0:
            self.trigger_event(
                self.LoyaltyPointsEarned,
                msisdn=self.msisdn,
                points=due,
                points_balance=self.points + due,
                reason="topup",
                source_id=payment_id,
                timestamp=at,
            )

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
