"""The gateway: authenticate, route commands, combine reads (routers in `gateway.routes`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.keyring import KeyRing
from gateway.routes import ROUTERS
from gateway.services import Services, ServiceUnavailable, unavailable
from gateway.settings import GatewaySettings
from kabinet.clock import Clock, SystemClock
from kabinet.http import EdgeMiddleware, install_problem_handlers
from kabinet.runtime import operational_router
from kabinet.settings import Settings


async def _gateway_ready() -> dict[str, bool]:
    """The gateway needs nothing to take traffic: a service that is down makes
    its part of an answer missing, never the gateway unready."""
    return {}


async def _on_unavailable(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceUnavailable)
    return unavailable(exc)


def create_gateway(
    settings: Settings, clock: Clock | None = None, own: GatewaySettings | None = None
) -> FastAPI:
    """`clock` is the time access tokens are checked against (tests pass auth's); `own`,
    the gateway's own settings (read from the environment unless given)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.services.close()

    app = FastAPI(title="kabinet", version="1", lifespan=lifespan)
    app.state.settings = settings
    app.state.gateway_settings = own or GatewaySettings()
    app.state.services = Services(settings)
    app.state.clock = clock or SystemClock()
    app.state.keyring = KeyRing()
    install_problem_handlers(app)
    app.add_exception_handler(ServiceUnavailable, _on_unavailable)
    app.add_middleware(EdgeMiddleware, service="gateway", max_body_bytes=settings.max_body_bytes)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(operational_router(_gateway_ready))
    return app
