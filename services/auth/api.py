"""Auth's HTTP entry points for signing in (reached through the gateway).

One module-level router; routes reach the application and the phones' ports through
`services.auth.deps`. Whether a number may sign in is never told by an answer.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from kabinet.runtime import runtime_of
from kabinet.types import Msisdn
from services.auth.deps import (
    After,
    Auth,
    Channel,
    ClientOf,
    NetworkMsisdn,
    PhonePorts,
    network_number,
)
from services.auth.sms import Sms
from services.auth.ussd import PROMPT

TEXTS = {
    "password_reset": "Код для восстановления пароля: {code}. Никому его не сообщайте.",
    "corporate_login": "Код для входа в корпоративный кабинет: {code}. Никому его не сообщайте.",
}
LOGIN_TEXT = "Код для входа в личный кабинет: {code}. Никому его не сообщайте."
Purpose = Literal["registration", "login", "password_reset", "corporate_login"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel = Field(
        default="mobile", description="web: tokens in cookies; mobile: in the body."
    )


class CodeWanted(Body):
    msisdn: Msisdn
    purpose: Purpose = "login"


class CodeGiven(Body):
    msisdn: Msisdn
    request_id: str = Field(min_length=1, max_length=64)
    code: str = Field(pattern=r"^\d{6}$")
    purpose: Purpose | None = None
    remember_me: bool = False


class PasswordGiven(Body):
    msisdn: Msisdn
    password: str = Field(min_length=1, max_length=256)
    remember_me: bool = False


class RefreshGiven(Body):
    refresh_token: str = Field(min_length=1, max_length=200)


class Confirming(Body):
    remember_me: bool = False


router = APIRouter(tags=["auth"])


@router.post("/otp", status_code=202)
async def request_code(
    body: CodeWanted,
    request: Request,
    client: ClientOf,
    app: Auth,
    phones: PhonePorts,
    token: After = None,
) -> dict[str, Any]:
    """Always 202 with the same shape: whether the number exists is never told."""
    await runtime_of(request).wait_for(token, body.msisdn)
    wanted = await asyncio.to_thread(app.request_code, body.msisdn, body.purpose, client)
    if wanted.code is not None:
        text = TEXTS.get(body.purpose, LOGIN_TEXT).format(code=wanted.code)
        await phones.sms.submit(Sms(body.msisdn, text, "otp"))
    return {
        "request_id": wanted.request_id,
        "expires_in": app.policy.otp_ttl,
        "resend_in": 60 // app.policy.sends.per_minute,
    }


@router.post("/otp/verify")
async def verify_code(body: CodeGiven, client: ClientOf, app: Auth) -> dict[str, Any]:
    tokens = await asyncio.to_thread(
        app.verify_code, body.msisdn, body.request_id, body.code,
        purpose=body.purpose, remember_me=body.remember_me, client=client,
    )  # fmt: skip
    return tokens.body()


@router.post("/login")
async def password_login(body: PasswordGiven, client: ClientOf, app: Auth) -> dict[str, Any]:
    tokens = await asyncio.to_thread(
        app.password_login, body.msisdn, body.password, remember_me=body.remember_me, client=client
    )
    return tokens.body()


@router.post("/refresh")
async def refresh(body: RefreshGiven, client: ClientOf, app: Auth) -> dict[str, Any]:
    tokens = await asyncio.to_thread(app.refresh, body.refresh_token, client)
    return tokens.body()


@router.post("/network", status_code=202)
async def request_network_login(
    body: Body, client: ClientOf, app: Auth, phones: PhonePorts, msisdn: NetworkMsisdn = None
) -> dict[str, Any]:
    number = network_number(msisdn)
    pending = await asyncio.to_thread(app.request_network_login, number, client)
    await phones.ussd.push(number, pending.request_id, PROMPT)
    return {"request_id": pending.request_id, "expires_in": app.policy.network_ttl}


@router.post("/network/{request_id}")
async def complete_network_login(
    request_id: str,
    body: Confirming,
    response: Response,
    client: ClientOf,
    app: Auth,
    msisdn: NetworkMsisdn = None,
) -> dict[str, Any]:
    number = network_number(msisdn)
    tokens = await asyncio.to_thread(
        app.complete_network_login, request_id, number, remember_me=body.remember_me, client=client
    )
    if tokens is None:
        response.status_code = 202
        return {"request_id": request_id, "status": "pending"}
    return tokens.body()


@router.get("/jwks")
async def jwks(response: Response, app: Auth) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=300"
    return app.keys.jwks()
