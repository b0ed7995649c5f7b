"""Auth's HTTP entry points for a signed-in holder, and its internal ones.

Signed-in routes take the access token (`Authorization: Bearer`) that the gateway
verified and passes on; auth checks it again and that its session is still open.
Internal routes: the USSD gateway's callback, and in the dev profile the outboxes that
stand in for phones.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from kabinet import consistency
from kabinet.runtime import runtime_of
from kabinet.settings import Settings
from kabinet.types import Msisdn
from services.auth.api import ClientOf
from services.auth.devphones import DevPhones
from services.auth.domain import SignInFailed
from services.auth.manage import AuthApplication
from services.auth.settings import AuthSettings


def bearer(authorization: Annotated[str | None, Header()] = None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise SignInFailed("sign-in required", field="Authorization")
    return token


Bearer = Annotated[str, Depends(bearer)]
After = Annotated[str | None, Header(alias=consistency.HEADER)]


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


def create_router(app: AuthApplication) -> APIRouter:
    router = APIRouter(tags=["auth"])

    @router.post("/logout", status_code=204)
    async def logout(token: Bearer, client: ClientOf) -> Response:
        await asyncio.to_thread(app.end_session, token, None, client)
        return Response(status_code=204)

    @router.get("/sessions")
    async def sessions(token: Bearer) -> dict[str, Any]:
        return {"sessions": await asyncio.to_thread(app.sessions, token)}

    @router.delete("/sessions/{session_id}", status_code=204)
    async def end_session(session_id: str, token: Bearer, client: ClientOf) -> Response:
        await asyncio.to_thread(app.end_session, token, session_id, client)
        return Response(status_code=204)

    @router.put("/password")
    async def change_password(
        body: PasswordChange, token: Bearer, client: ClientOf
    ) -> dict[str, Any]:
        ended = await asyncio.to_thread(
            app.change_password, token, body.current_password, body.new_password, client
        )
        return {"changed": True, "sessions_ended": ended}

    @router.get("/security")
    async def security(token: Bearer, request: Request, after: After = None) -> dict[str, Any]:
        await settled(request, token, after)
        return await asyncio.to_thread(app.notices, token)

    @router.put("/security")
    async def choose(
        body: Notices, token: Bearer, request: Request, after: After = None
    ) -> dict[str, Any]:
        await settled(request, token, after)
        return await asyncio.to_thread(app.choose_notices, token, list(body.notify_via))

    async def settled(request: Request, token: str, after: str | None) -> None:
        """Wait (bounded) until the profile changes a consistency token names are here."""
        if after:
            claims, _ = await asyncio.to_thread(app.caller, token)
            await runtime_of(request).wait_for(after, claims.msisdn or claims.subject)

    return router


def ussd_callback_router(
    app: AuthApplication, settings: Settings, auth: AuthSettings
) -> APIRouter:
    """The operator's USSD gateway reports the phone's answer here (never via the gateway)."""
    router = APIRouter(tags=["internal"])

    @router.post("/ussd/answers", status_code=204)
    async def answer(
        body: UssdAnswer, authorization: Annotated[str | None, Header()] = None
    ) -> Response:
        key = auth.ussd_callback_key
        given = (authorization or "").removeprefix("Bearer ")
        if key is not None and not secrets.compare_digest(given, key):
            raise SignInFailed("USSD gateway credential required", field="Authorization")
        if key is None and settings.profile != "dev":
            raise SignInFailed("no USSD gateway is configured", field="Authorization")
        await asyncio.to_thread(app.answer_network_login, body.request_id, body.msisdn, body.answer)
        return Response(status_code=204)

    return router


def dev_router(phones: DevPhones) -> APIRouter:
    """Dev profile only: what the phones of a local stack received."""
    router = APIRouter(prefix="/dev", tags=["dev"])

    @router.get("/sms")
    async def sms(msisdn: Annotated[Msisdn, Query()]) -> dict[str, Any]:
        return {"messages": await asyncio.to_thread(phones.read, msisdn, "sms")}

    @router.get("/ussd")
    async def pushes(msisdn: Annotated[Msisdn, Query()]) -> dict[str, Any]:
        return {"pushes": await asyncio.to_thread(phones.read, msisdn, "ussd")}

    return router
