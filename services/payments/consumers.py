"""Every subscription of the payments service, in one place."""

from __future__ import annotations

from kabinet.consumer import Subscription
from kabinet.effects import ApplicationEffects
from services.payments.application import PaymentsApplication


def subscriptions(app: PaymentsApplication) -> list[Subscription]:
    return [
        Subscription(
            "account",
            ApplicationEffects(app, {"SubscriberActivated": app.on_subscriber_activated}),
        ),
        Subscription(
            "detailing",
            ApplicationEffects(app, {"ChargeIncurred": app.on_charge_incurred}),
        ),
    ]
