"""What every gateway route depends on: who is calling, the services, tokens, bodies."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response

from gateway.services import Services, relay
from kabinet import consistency
from kabinet.domain import KabinetError
from kabinet.msisdn import MsisdnError, normalize_msisdn
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


async def subscriber(
    request: Request, msisdn: Annotated[str | None, Header(alias=DEV_IDENTITY_HEADER)] = None
) -> str:
    """Who is calling. Until sign-in exists, the dev profile names the number in a header."""
    if settings_of(request).profile != "dev" or not msisdn:
        raise Unauthorized("sign-in required", field=DEV_IDENTITY_HEADER)
    try:
        return normalize_msisdn(msisdn)
    except MsisdnError as exc:
        raise Unauthorized(str(exc), field=DEV_IDENTITY_HEADER) from None


async def staff(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    expected = settings_of(request).ops_token
    scheme, _, given = (authorization or "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not secrets.compare_digest(given, expected):
        raise Unauthorized("staff credential required", field="Authorization")


async def token_of(
    header: Annotated[str | None, Header(alias=consistency.HEADER)] = None,
    query: Annotated[str | None, Query(alias="consistency_token")] = None,
) -> str | None:
    token = header or query
    consistency.decode(token)  # a malformed token is the client's error, named here
    return token


Me = Annotated[str, Depends(subscriber)]
Token = Annotated[str | None, Depends(token_of)]


async def json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise KabinetError("request body must be JSON", field="body") from None


async def forward(
    request: Request,
    service: str,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: bool = False,
    query: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    """One call to a service; its answer (problem or not) passes through to the client."""
    payload: Any = await json_body(request) if body else None
    if query and request.url.query:
        path = f"{path}?{request.url.query}"
    response = await services_of(request).call(
        service, method, path, json=payload, token=token, headers=headers
    )
    return relay(response)
