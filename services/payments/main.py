"""Composition root of the payments service."""

from __future__ import annotations

from kabinet.eventstore import persistence_env
from kabinet.runtime import ServiceParts
from kabinet.settings import Settings
from services.payments import api, consumers, publishing
from services.payments.application import PaymentsApplication


def build(settings: Settings) -> ServiceParts:
    app = PaymentsApplication(env=persistence_env(settings, "payments"))
    return ServiceParts(
        name="payments",
        app=app,
        mapper=publishing.to_public,
        routers=[api.create_router(app)],
        subscriptions=consumers.subscriptions(app),
    )
