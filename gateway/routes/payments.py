"""Money routes of the subscriber: balance and top-ups (payments service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from gateway.deps import Me, Token, json_body, services_of
from gateway.services import relay

router = APIRouter(prefix="/api/v1/me", tags=["subscriber"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


@router.post("/topups", status_code=201)
async def top_up(
    request: Request, msisdn: Me, token: Token, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    body = await json_body(request)
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    response = await services_of(request).call(
        "payments", "POST", f"/balances/{msisdn}/topups", json=body, token=token, headers=headers
    )
    return relay(response)


@router.get("/balance")
async def balance(request: Request, msisdn: Me, token: Token) -> JSONResponse:
    return relay(
        await services_of(request).call("payments", "GET", f"/balances/{msisdn}", token=token)
    )
