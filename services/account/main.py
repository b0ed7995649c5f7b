"""Composition root of the account service."""

from __future__ import annotations

from kabinet.clock import Clock, SystemClock
from kabinet.effects import ProjectionStore
from kabinet.eventstore import persistence_env, schema_name
from kabinet.runtime import ServiceParts
from kabinet.settings import Settings
from services.account import api, api_services, consumers, publishing
from services.account.application import AccountApplication
from services.account.catalog import CatalogProjection
from services.account.projections import LastTopUp


def build(settings: Settings, clock: Clock | None = None) -> ServiceParts:
    env = persistence_env(settings, "account", serving=True)
    app = AccountApplication(env=env, clock=clock or SystemClock())
    store = ProjectionStore(app.factory.datastore, schema_name("account", settings.namespace))  # type: ignore[attr-defined]
    last_topup = LastTopUp(store, remember=settings.replicas == 1)  # the only writer
    catalog = CatalogProjection(store)
    app.catalog = catalog
    return ServiceParts(
        name="account",
        app=app,
        mapper=publishing.to_public,
        routers=[api.router, api_services.router],
        provides=[last_topup, catalog],
        subscriptions=consumers.subscriptions(app, last_topup, catalog),
        on_start=[last_topup.setup, catalog.setup],
    )
