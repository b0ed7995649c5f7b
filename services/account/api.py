"""Account's HTTP entry points (reached through the gateway): activation, profile, views.

One module-level router; routes reach the application and its read models through
dependencies (`services/account/deps.py`, `kabinet.deps`).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from kabinet import consistency
from kabinet.deps import Settled
from kabinet.money import format_rub
from kabinet.types import Msisdn
from services.account.deps import Account, By, CatalogSettled, FullySettled, LastTopUps, written
from services.account.history import history
from services.account.views import profile_view


class Activation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    msisdn: Msisdn
    owner_name: str = Field(min_length=1, max_length=200)
    region: str = Field(pattern=r"^[a-z][a-z_]{1,40}$")
    tariff_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,60}$")
    email: EmailStr | None = None
    iccid: str | None = Field(default=None, pattern=r"^89\d{17,18}$")
    puk: str | None = Field(default=None, pattern=r"^\d{8}$")


class Activated(BaseModel):
    msisdn: str
    consistency_token: str


class ProfileChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    language: Literal["ru", "en"] | None = None
    owner_name: str | None = Field(default=None, min_length=1, max_length=200)


class LastTopUpView(BaseModel):
    amount: str
    paid_at: str


class SubscriberView(BaseModel):
    msisdn: str
    owner_name: str
    region: str
    tariff_id: str
    status: str
    options: list[str]
    last_topup: LastTopUpView | None


router = APIRouter(tags=["account"])


@router.post("/subscribers", status_code=201)
async def activate(
    body: Activation, app: Account, response: Response, _: CatalogSettled
) -> Activated:
    position = await asyncio.to_thread(
        app.activate,
        body.msisdn,
        body.owner_name,
        body.region,
        body.tariff_id,
        body.email,
        body.iccid,
        body.puk,
    )
    token = consistency.encode({"account": position})
    response.headers[consistency.HEADER] = token
    return Activated(msisdn=body.msisdn, consistency_token=token)


@router.get("/subscribers/{msisdn}")
async def subscriber(
    msisdn: Msisdn, app: Account, last_topup: LastTopUps, after: Settled, response: Response
) -> SubscriberView:
    after.mark(response)
    cached, topup = app.cached_subscriber(msisdn), last_topup.remembered(msisdn)
    if cached is None:
        found, topup = await asyncio.to_thread(
            lambda: (app.subscriber(msisdn), last_topup.get(msisdn))  # one thread hop
        )
    else:
        found = cached
        if topup is None:  # else no thread hop and no query at all
            topup = await asyncio.to_thread(last_topup.get, msisdn)
    return SubscriberView(
        msisdn=found.msisdn,
        owner_name=found.owner_name,
        region=found.region,
        tariff_id=found.tariff_id,
        status=found.status,
        options=found.options,
        last_topup=LastTopUpView(
            amount=format_rub(topup["amount_kopecks"]), paid_at=topup["paid_at"].isoformat()
        )
        if topup
        else None,
    )


@router.get("/subscribers/{msisdn}/profile")
async def profile(
    msisdn: Msisdn, app: Account, after: FullySettled, response: Response
) -> dict[str, Any]:
    after.mark(response)
    return profile_view(await asyncio.to_thread(app.subscriber, msisdn))


@router.patch("/subscribers/{msisdn}/profile")
async def update_profile(
    msisdn: Msisdn, body: ProfileChange, app: Account, who: By, response: Response
) -> dict[str, Any]:
    def change() -> dict[str, Any]:
        position = app.update_profile(msisdn, body.model_dump(exclude_unset=True), who)
        return written(response, position, **profile_view(app.subscriber(msisdn)))

    return await asyncio.to_thread(change)


@router.get("/subscribers/{msisdn}/history")
async def subscriber_history(
    msisdn: Msisdn, app: Account, after: FullySettled, response: Response
) -> dict[str, Any]:
    after.mark(response)
    events = await asyncio.to_thread(app.history, msisdn)
    lang = (await asyncio.to_thread(app.subscriber, msisdn)).language
    return {"msisdn": msisdn, "language": lang, "events": history(events, lang)}
