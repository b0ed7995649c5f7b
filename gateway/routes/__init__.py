"""Every router of the gateway, one module per area; `create_gateway` includes them all."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.routes import account, auth, catalog, dashboard, ops, payments

# A request is matched against the routes in this order, each match costing a few
# microseconds: the routers subscribers call most come first. No two routers' paths
# overlap, so the order changes nothing else.
ROUTERS: list[APIRouter] = [
    dashboard.router,
    payments.router,
    account.router,
    catalog.router,
    auth.router,
    ops.router,
]
