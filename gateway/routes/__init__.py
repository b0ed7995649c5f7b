"""Every router of the gateway, one module per area; `create_gateway` includes them all."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.routes import account, auth, catalog, dashboard, ops, payments

ROUTERS: list[APIRouter] = [
    auth.router,
    dashboard.router,
    account.router,
    catalog.router,
    payments.router,
    ops.router,
]
