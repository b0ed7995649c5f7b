"""Every subscription of the account service, in one place."""

from __future__ import annotations

from kabinet.consumer import Subscription
from kabinet.effects import ProjectionEffects
from services.account.projections import LastTopUp


def subscriptions(last_topup: LastTopUp) -> list[Subscription]:
    return [
        Subscription(
            "payments",
            ProjectionEffects(
                last_topup.store,
                last_topup.name,
                {"PaymentPosted": last_topup.on_payment_posted},
            ),
        ),
    ]
