"""The gateway's routes: authenticate, route commands, combine reads."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse

from gateway.services import Services, ServiceUnavailable, relay, unavailable
from kabinet import consistency
from kabinet.domain import KabinetError
from kabinet.http import EdgeMiddleware, install_problem_handlers
from kabinet.msisdn import MsisdnError, normalize_msisdn
from kabinet.runtime import operational_router
from kabinet.settings import Settings

DEV_IDENTITY_HEADER = "X-Kabinet-Msisdn"


class Unauthorized(KabinetError):
    status = 401


def services_of(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def settings_of(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


def subscriber(
    request: Request, msisdn: Annotated[str | None, Header(alias=DEV_IDENTITY_HEADER)] = None
) -> str:
    """Who is calling. Until sign-in exists, the dev profile names the number in a header."""
    if settings_of(request).profile != "dev" or not msisdn:
        raise Unauthorized("sign-in required", field=DEV_IDENTITY_HEADER)
    try:
        return normalize_msisdn(msisdn)
    except MsisdnError as exc:
        raise Unauthorized(str(exc), field=DEV_IDENTITY_HEADER) from None


def staff(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    expected = settings_of(request).ops_token
    scheme, _, given = (authorization or "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not secrets.compare_digest(given, expected):
        raise Unauthorized("staff credential required", field="Authorization")


def token_of(
    header: Annotated[str | None, Header(alias=consistency.HEADER)] = None,
    query: Annotated[str | None, Query(alias="consistency_token")] = None,
) -> str | None:
    token = header or query
    consistency.decode(token)  # a malformed token is the client's error, named here
    return token


Me = Annotated[str, Depends(subscriber)]
Token = Annotated[str | None, Depends(token_of)]


def subscriber_routes() -> APIRouter:
    router = APIRouter(prefix="/api/v1/me", tags=["subscriber"])

    @router.post("/topups", status_code=201)
    async def top_up(
        request: Request,
        msisdn: Me,
        token: Token,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> JSONResponse:
        body = await _json_body(request)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = await services_of(request).call(
            "payments",
            "POST",
            f"/balances/{msisdn}/topups",
            json=body,
            token=token,
            headers=headers,
        )
        return relay(response)

    @router.get("/balance")
    async def balance(request: Request, msisdn: Me) -> JSONResponse:
        return relay(await services_of(request).call("payments", "GET", f"/balances/{msisdn}"))

    @router.get("/dashboard")
    async def dashboard(request: Request, msisdn: Me, token: Token) -> Any:
        services = services_of(request)
        account, payments = await asyncio.gather(
            services.call("account", "GET", f"/subscribers/{msisdn}", token=token),
            services.call("payments", "GET", f"/balances/{msisdn}", token=token),
            return_exceptions=True,
        )
        missing: list[str] = []
        view: dict[str, Any] = {"msisdn": msisdn}
        for part, result in (("profile", account), ("balance", payments)):
            if isinstance(result, BaseException) or result.status_code >= 500:
                missing.append(part)
            elif result.status_code >= 400:
                return relay(result)
        if "profile" not in missing:
            data = account.json()  # type: ignore[union-attr]
            view.update(
                owner_name=data["owner_name"],
                tariff_id=data["tariff_id"],
                status=data["status"],
                last_topup=data["last_topup"],
            )
        if "balance" not in missing:
            view["balance"] = payments.json()["balance"]  # type: ignore[union-attr]
        view["missing"] = missing
        stale = any(
            not isinstance(r, BaseException) and r.headers.get("Kabinet-Stale")
            for r in (account, payments)
        )
        headers = {"Kabinet-Stale": "true"} if stale else {}
        return JSONResponse(view, headers=headers)

    return router


def ops_routes() -> APIRouter:
    router = APIRouter(prefix="/ops/v1", tags=["staff"], dependencies=[Depends(staff)])

    @router.post("/subscribers", status_code=201)
    async def activate(request: Request) -> JSONResponse:
        body = await _json_body(request)
        return relay(await services_of(request).call("account", "POST", "/subscribers", json=body))

    return router


async def _json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise KabinetError("request body must be JSON", field="body") from None


async def _gateway_ready() -> dict[str, bool]:
    """The gateway needs nothing to take traffic: a service that is down makes
    its part of an answer missing, never the gateway unready."""
    return {}


def create_gateway(settings: Settings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.services.close()

    app = FastAPI(title="kabinet", version="1", lifespan=lifespan)
    app.state.settings = settings
    app.state.services = Services(settings)
    install_problem_handlers(app)
    app.add_middleware(EdgeMiddleware, service="gateway", max_body_bytes=settings.max_body_bytes)
    app.include_router(subscriber_routes())
    app.include_router(ops_routes())
    app.include_router(operational_router(_gateway_ready))

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ServiceUnavailable)
        return unavailable(exc)

    return app
