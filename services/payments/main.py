"""Composition root of the payments service."""

from __future__ import annotations

from kabinet.eventstore import persistence_env
from kabinet.runtime import ServiceParts
from kabinet.settings import Settings
from services.payments import api, consumers, publishing
from services.payments.acquirer.settings import AcquirerSettings
from services.payments.acquiring import HttpAcquirer
from services.payments.application import PaymentsApplication
from services.payments.autopays import Autopays
from services.payments.card_topups import CardTopUps
from services.payments.deps import TopUpChannels
from services.payments.sweeper import (
    AUTOPAY_INTERVAL,
    PROMISE_SWEEP_INTERVAL,
    TOPUP_JANITOR_INTERVAL,
    periodic,
)
from services.payments.withdrawals import Withdrawals


def build(settings: Settings) -> ServiceParts:
    app = PaymentsApplication(env=persistence_env(settings, "payments", serving=True))
    acquirer = HttpAcquirer(AcquirerSettings())
    cards = CardTopUps(app, acquirer)
    withdrawals = Withdrawals(app, acquirer)
    autopays = Autopays(app, acquirer)
    return ServiceParts(
        name="payments",
        app=app,
        mapper=publishing.to_public,
        routers=[api.router],
        provides=[cards, withdrawals, autopays, TopUpChannels(direct=settings.profile == "dev")],
        subscriptions=consumers.subscriptions(app),
        background=[
            periodic("promises_expired", app.expire_due_promises, PROMISE_SWEEP_INTERVAL),
            periodic("top_ups_settled", cards.settle_pending, TOPUP_JANITOR_INTERVAL),
            periodic("payouts_settled", withdrawals.settle_pending, TOPUP_JANITOR_INTERVAL),
            periodic("autopays_paid", autopays.run_pending, AUTOPAY_INTERVAL),
        ],
    )
