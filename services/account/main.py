"""Composition root of the account service."""

from __future__ import annotations

from kabinet.effects import ProjectionStore
from kabinet.eventstore import persistence_env, schema_name
from kabinet.runtime import ServiceParts
from kabinet.settings import Settings
from services.account import api, consumers, publishing
from services.account.application import AccountApplication
from services.account.projections import LastTopUp


def build(settings: Settings) -> ServiceParts:
    app = AccountApplication(env=persistence_env(settings, "account"))
    store = ProjectionStore(app.factory.datastore, schema_name("account", settings.namespace))  # type: ignore[attr-defined]
    last_topup = LastTopUp(store)
    return ServiceParts(
        name="account",
        app=app,
        mapper=publishing.to_public,
        routers=[api.create_router(app, last_topup)],
        subscriptions=consumers.subscriptions(last_topup),
        on_start=[last_topup.setup],
    )
