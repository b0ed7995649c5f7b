"""Composition root of the catalog service."""

from __future__ import annotations

from kabinet.clock import Clock, SystemClock
from kabinet.eventstore import persistence_env
from kabinet.runtime import ServiceParts
from kabinet.settings import Settings
from services.catalog import api, publishing
from services.catalog.application import CatalogApplication
from services.catalog.projections import CatalogView


def build(settings: Settings, clock: Clock | None = None) -> ServiceParts:
    clock = clock or SystemClock()
    app = CatalogApplication(env=persistence_env(settings, "catalog", serving=True), clock=clock)
    view = CatalogView(app, clock)
    return ServiceParts(
        name="catalog",
        app=app,
        mapper=publishing.to_public,
        routers=[api.router],
        provides=[view],
        on_start=[view.refresh],
    )
