"""Payments' HTTP entry points (reached through the gateway)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict

from kabinet import consistency
from kabinet.idempotency import check_key
from kabinet.money import format_rub
from kabinet.runtime import runtime_of
from kabinet.types import Msisdn, Rub
from services.payments.application import PaymentsApplication

Token = Annotated[str | None, Header(alias=consistency.HEADER)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


class TopUpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Rub


class TopUpResult(BaseModel):
    payment_id: str
    msisdn: str
    amount: str
    balance: str
    consistency_token: str


class BalanceView(BaseModel):
    msisdn: str
    balance: str


def create_router(app: PaymentsApplication) -> APIRouter:
    router = APIRouter(tags=["payments"])

    @router.post("/balances/{msisdn}/topups", status_code=201)
    async def top_up(
        msisdn: Msisdn,
        body: TopUpRequest,
        request: Request,
        response: Response,
        key: IdempotencyKey = None,
        token: Token = None,
    ) -> TopUpResult:
        checked = check_key(key)
        await runtime_of(request).wait_for(token, msisdn)
        result: dict[str, Any] = await asyncio.to_thread(app.top_up, msisdn, body.amount, checked)
        response.headers[consistency.HEADER] = result["consistency_token"]
        return TopUpResult(**result)

    @router.get("/balances/{msisdn}")
    async def balance(
        msisdn: Msisdn, request: Request, response: Response, token: Token = None
    ) -> BalanceView:
        if not await runtime_of(request).wait_for(token, msisdn):
            response.headers["Kabinet-Stale"] = "true"
        found = await asyncio.to_thread(app.balance, msisdn)
        return BalanceView(msisdn=found.msisdn, balance=format_rub(found.kopecks))

    return router
