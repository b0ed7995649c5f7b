"""Sign-in (auth service): codes, passwords, network login, refresh, logout, sessions,
the password, login notices; and in the dev profile the SMS outbox.

Mobile clients (`"channel": "mobile"`, the default) get the tokens in the body and send
`Authorization: Bearer`. The web front end (`"channel": "web"`) gets them in HttpOnly,
Secure, SameSite=Strict cookies plus a CSRF cookie that its writes repeat in
`X-CSRF-Token` (double submit).

Client address: the TCP peer, unless the peer is a trusted proxy of the operator's
network (`KABINET_AUTH_TRUSTED_PROXIES`); then the last `X-Forwarded-For` hop, and the
number the proxy puts in `KABINET_AUTH_NETWORK_HEADER`. From anyone else that header
is ignored.
"""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gateway.deps import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    REFRESH_COOKIE,
    Caller,
    Me,
    Token,
    Who,
    check_csrf,
    clock_of,
    gateway_settings_of,
    json_body,
    services_of,
    settings_of,
)
from gateway.services import relay
from kabinet.client import Reply
from kabinet.domain import NotFound
from kabinet.msisdn import MsisdnError, normalize_msisdn

router = APIRouter(tags=["sign-in"])

AUTH = "/api/v1/auth"
REFRESH_PATH = AUTH
NETWORK_HEADER = "Kabinet-Network-Msisdn"


@lru_cache(maxsize=16)
def _networks(trusted: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False)
        for part in trusted.split(",")
        if part.strip()
    )


def _trusted(request: Request) -> bool:
    peer = request.client.host if request.client else None
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in net for net in _networks(gateway_settings_of(request).trusted_proxies))


def client_headers(request: Request, channel: str, who: Caller | None = None) -> dict[str, str]:
    """What auth learns about the client: channel, address, device, and (only through a
    trusted proxy) the number the operator's network put in the request."""
    peer = request.client.host if request.client else ""
    headers = {"Kabinet-Channel": channel, "Kabinet-Client-Ip": peer}
    if _trusted(request):
        hops = request.headers.get("X-Forwarded-For", "").split(",")
        headers["Kabinet-Client-Ip"] = hops[-1].strip() or peer
        number = request.headers.get(gateway_settings_of(request).network_header)
        with contextlib.suppress(MsisdnError):  # no number, or not one: no network login
            headers[NETWORK_HEADER] = normalize_msisdn(number or "")
    if agent := request.headers.get("User-Agent"):
        headers["Kabinet-Device"] = agent[:200]
    if who is not None:
        headers["Authorization"] = f"Bearer {who.token}"
    return headers


async def to_auth(
    request: Request,
    method: str,
    path: str,
    channel: str,
    *,
    json: Any = None,
    who: Caller | None = None,
    token: str | None = None,
) -> Reply:
    return await services_of(request).call(
        "auth", method, path, json=json, token=token,
        headers=client_headers(request, channel, who),
    )  # fmt: skip


def answer(reply: Reply) -> Response:
    passed = relay(reply)
    if "Retry-After" in reply.headers:
        passed.headers["Retry-After"] = reply.headers["Retry-After"]
    return passed


def channel_of(body: Any) -> str:
    return "web" if isinstance(body, dict) and body.get("channel") == "web" else "mobile"


def deliver(request: Request, reply: Reply, channel: str) -> Response:
    """Tokens to the client: in the body (mobile) or in cookies (web)."""
    if reply.status_code != 200:
        passed = answer(reply)
        if channel == "web" and reply.status_code == 401:
            forget(passed)
        return passed
    data = reply.json()
    if channel != "web":
        return answer(reply)
    csrf = secrets.token_urlsafe(24)
    body = {k: v for k, v in data.items() if k not in ("access_token", "refresh_token")}
    response = JSONResponse({**body, "csrf_token": csrf})
    lasting = None
    if data.get("remember_me"):
        until = datetime.fromisoformat(data["refresh_expires_at"])
        lasting = max(0, int((until - clock_of(request).now()).total_seconds()))
    for name, value, max_age, path in (
        (ACCESS_COOKIE, data["access_token"], data["expires_in"], "/"),
        (REFRESH_COOKIE, data["refresh_token"], lasting, REFRESH_PATH),
    ):
        response.set_cookie(
            name, value, max_age=max_age, path=path, secure=True, httponly=True, samesite="strict"
        )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=lasting, path="/", secure=True, samesite="strict"
    )
    return response


def forget(response: Response) -> None:
    """Remove the sign-in cookies."""
    for name, path in ((ACCESS_COOKIE, "/"), (REFRESH_COOKIE, REFRESH_PATH), (CSRF_COOKIE, "/")):
        response.delete_cookie(name, path=path, secure=True, samesite="strict")


@router.post(f"{AUTH}/otp", status_code=202)
async def request_code(request: Request, token: Token) -> Response:
    """Body: `msisdn`, `purpose` (login, registration, password_reset, corporate_login).
    Always 202 with a `request_id`, whether the number exists or not."""
    body = await json_body(request)
    return answer(await to_auth(request, "POST", "/otp", channel_of(body), json=body, token=token))


@router.post(f"{AUTH}/otp/verify")
async def verify_code(request: Request) -> Response:
    """Body: `msisdn`, `request_id`, `code`, `remember_me`, `channel`."""
    body = await json_body(request)
    channel = channel_of(body)
    return deliver(
        request, await to_auth(request, "POST", "/otp/verify", channel, json=body), channel
    )


@router.post(f"{AUTH}/login")
async def password_login(request: Request) -> Response:
    """Body: `msisdn`, `password`, `remember_me`, `channel`."""
    body = await json_body(request)
    channel = channel_of(body)
    return deliver(request, await to_auth(request, "POST", "/login", channel, json=body), channel)


@router.post(f"{AUTH}/refresh")
async def refresh(request: Request) -> Response:
    """Body `{"refresh_token": …}` (mobile), or the refresh cookie with `X-CSRF-Token` (web)."""
    body = await json_body(request) if await request.body() else {}
    given = body.get("refresh_token") if isinstance(body, dict) else None
    channel = channel_of(body)
    if not given and (cookie := request.cookies.get(REFRESH_COOKIE)):
        check_csrf(request)
        given, channel = cookie, "web"
    sent = {"refresh_token": given or ""}
    return deliver(request, await to_auth(request, "POST", "/refresh", channel, json=sent), channel)


@router.post(f"{AUTH}/logout", status_code=204)
async def logout(request: Request, who: Who) -> Response:
    reply = await to_auth(request, "POST", "/logout", who.channel, who=who)
    if reply.status_code != 204:
        return answer(reply)
    response = Response(status_code=204)
    forget(response)
    return response


@router.get(f"{AUTH}/sessions")
async def sessions(request: Request, who: Who) -> Response:
    return answer(await to_auth(request, "GET", "/sessions", who.channel, who=who))


@router.delete(f"{AUTH}/sessions/{{session_id}}", status_code=204)
async def end_session(request: Request, session_id: str, who: Who) -> Response:
    reply = await to_auth(request, "DELETE", f"/sessions/{session_id}", who.channel, who=who)
    return Response(status_code=204) if reply.status_code == 204 else answer(reply)


@router.put(f"{AUTH}/password")
async def change_password(request: Request, who: Who) -> Response:
    """Body: `current_password` (unless none is set, or after a recovery code), `new_password`.
    Every other session of the number ends."""
    body = await json_body(request)
    return answer(await to_auth(request, "PUT", "/password", who.channel, json=body, who=who))


@router.post(f"{AUTH}/network", status_code=202)
async def request_network_login(request: Request) -> Response:
    """From the operator's network only: the phone is asked by USSD to confirm."""
    body = await json_body(request) if await request.body() else {}
    channel = channel_of(body)
    return answer(await to_auth(request, "POST", "/network", channel, json=body or {}))


@router.post(f"{AUTH}/network/{{request_id}}")
async def complete_network_login(request: Request, request_id: str) -> Response:
    """202 while the phone has not confirmed; then the tokens, once."""
    body = await json_body(request) if await request.body() else {}
    channel = channel_of(body)
    reply = await to_auth(request, "POST", f"/network/{request_id}", channel, json=body or {})
    return answer(reply) if reply.status_code == 202 else deliver(request, reply, channel)


@router.get(f"{AUTH}/jwks")
async def jwks(request: Request) -> Response:
    """auth's public keys: anyone may verify an access token."""
    return answer(await services_of(request).call("auth", "GET", "/jwks"))


@router.get("/api/v1/me/security")
async def security(request: Request, _: Me, who: Who, token: Token) -> Response:
    """Login notices chosen (`notify_via`: sms, email), the profile's e-mail, password set."""
    reply = await to_auth(request, "GET", "/security", who.channel, who=who, token=token)
    return answer(reply)


@router.put("/api/v1/me/security")
async def choose_notices(request: Request, _: Me, who: Who, token: Token) -> Response:
    """Body: `notify_via`, a list of `sms` and/or `email` (e-mail needs an address on the
    profile: send the profile change's consistency token along)."""
    body = await json_body(request)
    reply = await to_auth(request, "PUT", "/security", who.channel, json=body, who=who, token=token)
    return answer(reply)


@router.get("/dev/sms", include_in_schema=False)
async def dev_sms(request: Request) -> Response:
    """Dev profile only: the SMS a number received, so a local user can sign in."""
    if settings_of(request).profile != "dev":
        raise NotFound("not found")
    path = f"/dev/sms?{request.url.query}"
    return answer(await services_of(request).call("auth", "GET", path))
