"""What every gateway route depends on: who is calling, the services, tokens, bodies.

Callers are named by access tokens that auth signs and the gateway verifies locally:
a subscriber reaches only the number in their token, a corporate admin only their
client, staff (`/ops`) hold the staff bearer token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response

from gateway.keyring import KeyRing
from gateway.services import Services, ServiceUnavailable, relay
from gateway.settings import GatewaySettings
from kabinet import consistency, tokens
from kabinet.clock import Clock
from kabinet.domain import KabinetError
from kabinet.settings import Settings
from kabinet.tokens import AccessClaims

ACCESS_COOKIE = "__Host-kabinet-access"
REFRESH_COOKIE = "__Secure-kabinet-refresh"
CSRF_COOKIE = "__Host-kabinet-csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Unauthorized(KabinetError):
    status = 401


class Forbidden(KabinetError):
    status = 403


def services_of(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def settings_of(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


def gateway_settings_of(request: Request) -> GatewaySettings:
    found: GatewaySettings = request.app.state.gateway_settings
    return found


@dataclass(frozen=True)
class Caller:
    """A verified access token: whom it speaks for, and how it came (web = cookie)."""

    claims: AccessClaims
    token: str
    channel: str


def clock_of(request: Request) -> Clock:
    found: Clock = request.app.state.clock
    return found


async def verified(request: Request, token: str) -> AccessClaims:
    """Check an access token locally, with auth's keys (fetched from its JWKS)."""

    async def fetch() -> dict[str, Any]:
        answer = await services_of(request).call("auth", "GET", "/jwks")
        if answer.status_code != 200:
            raise ServiceUnavailable("auth", f"JWKS answered {answer.status_code}")
        found: dict[str, Any] = answer.json()
        return found

    keyring: KeyRing = request.app.state.keyring
    try:
        return await keyring.verify(token, clock_of(request).now(), fetch)
    except tokens.InvalidToken:
        raise Unauthorized(
            "the access token is invalid or expired", field="Authorization"
        ) from None


def check_csrf(request: Request) -> None:
    """Double submit: a write authenticated by cookie repeats the CSRF cookie in a header."""
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not secrets.compare_digest(cookie.encode(), header.encode()):
        raise Forbidden("the CSRF token is missing or wrong", field=CSRF_HEADER)


async def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
    """Who is calling: a Bearer access token (mobile), or the access cookie (web)."""
    scheme, _, token = (authorization or "").partition(" ")
    channel = "mobile"
    if scheme.lower() != "bearer" or not token:
        token, channel = request.cookies.get(ACCESS_COOKIE, ""), "web"
        if not token:
            raise Unauthorized("sign-in required", field="Authorization")
        check_csrf(request)
    return Caller(await verified(request, token), token, channel)


async def subscriber(who: Annotated[Caller, Depends(caller)]) -> str:
    """The caller's own number: every subscriber route acts on it alone."""
    if who.claims.kind != "subscriber" or not who.claims.msisdn:
        raise Forbidden("a subscriber's sign-in is required", field="Authorization")
    return who.claims.msisdn


async def corporate_admin(client_id: str, who: Annotated[Caller, Depends(caller)]) -> Caller:
    """A corporate admin, on routes of their own client (`{client_id}` in the path) only."""
    if who.claims.kind != "corporate_admin" or who.claims.client_id != client_id:
        raise Forbidden("an admin of this corporate client is required", field="Authorization")
    return who


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
Who = Annotated[Caller, Depends(caller)]
CorporateAdmin = Annotated[Caller, Depends(corporate_admin)]
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
