"""The loyalty rules: a points ledger beside the money.

The published rule (`rules.LOYALTY_*`): one point per full 10.00 RUB of card top-ups over
the number's life, earned in the top-up's own save (`LoyaltyPointsEarned`, its cause the
payment); at least 100 points redeemed at once for 0.10 RUB of balance each, in one save
with the money (`LoyaltyPointsRedeemed`, then a `PaymentPosted` with method `loyalty`).
Every points event carries the points after it, so the points are the fold of the
ledger's points events, as the balance is of its movements.
"""

from __future__ import annotations

from services.payments.rules import (
    LOYALTY_KOPECKS_PER_POINT,
    LOYALTY_MIN_REDEMPTION,
    LOYALTY_POINT_KOPECKS,
    InsufficientFunds,
    PaymentsError,
)


def points_due(topped_up_kopecks: int, earned_points: int) -> int:
    """The points the card top-ups so far complete, less those already earned."""
    return topped_up_kopecks // LOYALTY_KOPECKS_PER_POINT - earned_points


def redemption_value(points: int, held_points: int) -> int:
    """The balance credit (kopecks) `points` buy, or the rule that refuses the redemption."""
    if points < LOYALTY_MIN_REDEMPTION:
        raise PaymentsError(
            f"at least {LOYALTY_MIN_REDEMPTION} points are redeemed at once",
            field="points",
            rule="loyalty_minimum",
        )
    if points > held_points:
        raise InsufficientFunds(
            f"only {held_points} points to redeem", field="points", rule="loyalty_points"
        )
    return points * LOYALTY_POINT_KOPECKS
