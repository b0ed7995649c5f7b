"""Account's HTTP entry points (reached through the gateway)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from kabinet import consistency
from kabinet.money import format_rub
from kabinet.runtime import runtime_of
from kabinet.types import Msisdn
from services.account.application import AccountApplication
from services.account.projections import LastTopUp

Token = Annotated[str | None, Header(alias=consistency.HEADER)]


class Activation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    msisdn: Msisdn
    owner_name: str = Field(min_length=1, max_length=200)
    region: str = Field(pattern=r"^[a-z][a-z_]{1,40}$")
    tariff_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,60}$")
    email: EmailStr | None = None


class Activated(BaseModel):
    msisdn: str
    consistency_token: str


class LastTopUpView(BaseModel):
    amount: str
    paid_at: str


class SubscriberView(BaseModel):
    msisdn: str
    owner_name: str
    region: str
    tariff_id: str
    status: str
    last_topup: LastTopUpView | None


def create_router(app: AccountApplication, last_topup: LastTopUp) -> APIRouter:
    router = APIRouter(tags=["account"])

    @router.post("/subscribers", status_code=201)
    def activate(body: Activation, response: Response) -> Activated:
        position = app.activate(
            body.msisdn, body.owner_name, body.region, body.tariff_id, body.email
        )
        token = consistency.encode({"account": position})
        response.headers[consistency.HEADER] = token
        return Activated(msisdn=body.msisdn, consistency_token=token)

    @router.get("/subscribers/{msisdn}")
    async def subscriber(
        msisdn: Msisdn, request: Request, response: Response, token: Token = None
    ) -> SubscriberView:
        if not await runtime_of(request).wait_for(token, msisdn):
            response.headers["Kabinet-Stale"] = "true"
        found = await asyncio.to_thread(app.subscriber, msisdn)
        topup = await asyncio.to_thread(last_topup.get, msisdn)
        return SubscriberView(
            msisdn=found.msisdn,
            owner_name=found.owner_name,
            region=found.region,
            tariff_id=found.tariff_id,
            status=found.status,
            last_topup=LastTopUpView(
                amount=format_rub(topup["amount_kopecks"]), paid_at=topup["paid_at"].isoformat()
            )
            if topup
            else None,
        )

    return router
