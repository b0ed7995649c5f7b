"""Auth's HTTP entry points for a signed-in holder, and its internal ones.

Signed-in routes take the access token (`Authorization: Bearer`) that the gateway
verified and passes on; auth checks it again and that its session is still open.
Internal routes: the USSD gateway's callback, and in the dev profile the outboxes that
stand in for phones. Routes reach the service through `services.auth.deps`.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from kabinet.runtime import runtime_of
from kabinet.types import Msisdn
from services.auth.deps import After, Auth, Bearer, ClientOf, DevOutboxes, Gateway
from services.auth.domain import SignInFailed
from services.auth.manage import AuthApplication


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str | None = Field(default=None, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class Notices(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notify_via: list[Literal["sms", "email"]] = Field(max_length=2)


class UssdAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=64)
    msisdn: Msisdn
    answer: str = Field(max_length=16)


router = APIRouter(tags=["auth"])


async def _settled(request: Request, app: AuthApplication, token: str, after: str | None) -> None:
    """Wait (bounded) until the profile changes a consistency token names are here."""
    if after:
        claims, _ = await asyncio.to_thread(app.caller, token)
        await runtime_of(request).wait_for(after, claims.msisdn or claims.subject)


@router.post("/logout", status_code=204)
async def logout(token: Bearer, client: ClientOf, app: Auth) -> Response:
    await asyncio.to_thread(app.end_session, token, None, client)
    return Response(status_code=204)


@router.get("/sessions")
async def sessions(token: Bearer, app: Auth) -> dict[str, Any]:
    return {"sessions": await asyncio.to_thread(app.sessions, token)}


@router.delete("/sessions/{session_id}", status_code=204)
async def end_session(session_id: str, token: Bearer, client: ClientOf, app: Auth) -> Response:
    await asyncio.to_thread(app.end_session, token, session_id, client)
    return Response(status_code=204)


@router.put("/password")
async def change_password(
    body: PasswordChange, token: Bearer, client: ClientOf, app: Auth
) -> dict[str, Any]:
    ended = await asyncio.to_thread(
        app.change_password, token, body.current_password, body.new_password, client
    )
    return {"changed": True, "sessions_ended": ended}


@router.get("/security")
async def security(
    token: Bearer, request: Request, app: Auth, after: After = None
) -> dict[str, Any]:
    await _settled(request, app, token, after)
    return await asyncio.to_thread(app.notices, token)


@router.put("/security")
async def choose(
    body: Notices, token: Bearer, request: Request, app: Auth, after: After = None
) -> dict[str, Any]:
    await _settled(request, app, token, after)
    return await asyncio.to_thread(app.choose_notices, token, list(body.notify_via))


ussd_callback_router = APIRouter(tags=["internal"])
"""The operator's USSD gateway reports the phone's answer here (never via the gateway)."""


@ussd_callback_router.post("/ussd/answers", status_code=204)
async def answer(
    body: UssdAnswer,
    app: Auth,
    gateway: Gateway,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    given = (authorization or "").removeprefix("Bearer ")
    if gateway.key is not None and not secrets.compare_digest(given, gateway.key):
        raise SignInFailed("USSD gateway credential required", field="Authorization")
    if gateway.key is None and not gateway.open_without_key:
        raise SignInFailed("no USSD gateway is configured", field="Authorization")
    await asyncio.to_thread(app.answer_network_login, body.request_id, body.msisdn, body.answer)
    return Response(status_code=204)


dev_router = APIRouter(prefix="/dev", tags=["dev"])
"""Dev profile only: what the phones of a local stack received."""


@dev_router.get("/sms")
async def sms(msisdn: Annotated[Msisdn, Query()], phones: DevOutboxes) -> dict[str, Any]:
    return {"messages": await asyncio.to_thread(phones.read, msisdn, "sms")}


@dev_router.get("/ussd")
async def pushes(msisdn: Annotated[Msisdn, Query()], phones: DevOutboxes) -> dict[str, Any]:
    return {"pushes": await asyncio.to_thread(phones.read, msisdn, "ussd")}
