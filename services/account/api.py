"""Account's HTTP entry points (reached through the gateway): activation, profile, views."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from kabinet import consistency
from kabinet.money import format_rub
from kabinet.runtime import runtime_of
from kabinet.types import Msisdn
from services.account.application import AccountApplication
from services.account.catalog import CatalogProjection
from services.account.domain import Who
from services.account.history import history
from services.account.projections import LastTopUp
from services.account.views import profile_view

Token = Annotated[str | None, Header(alias=consistency.HEADER)]
ActorHeader = Annotated[
    Literal["subscriber", "corporate_admin", "staff"], Header(alias="Kabinet-Actor")
]
ActorIdHeader = Annotated[str | None, Header(alias="Kabinet-Actor-Id", max_length=100)]


def who_of(actor: str, actor_id: str | None) -> Who:
    return Who(actor, actor_id, "ops" if actor == "staff" else "web")


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


def written(response: Response, position: int | None, **body: Any) -> dict[str, Any]:
    """A command's answer: whether it changed anything, and the token of what it wrote."""
    token = consistency.encode({"account": position}) if position else ""
    if token:
        response.headers[consistency.HEADER] = token
    return {**body, "changed": position is not None, "consistency_token": token}


async def wait_catalog(catalog: CatalogProjection, token: str | None, timeout: float) -> None:
    wanted = consistency.decode(token).get("catalog")
    if wanted:
        await catalog.wait(wanted, timeout)


def create_router(
    app: AccountApplication, last_topup: LastTopUp, catalog: CatalogProjection
) -> APIRouter:
    router = APIRouter(tags=["account"])

    @router.post("/subscribers", status_code=201)
    async def activate(
        body: Activation, request: Request, response: Response, token: Token = None
    ) -> Activated:
        await wait_catalog(catalog, token, runtime_of(request).settings.consistency_wait)
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
        msisdn: Msisdn, request: Request, response: Response, token: Token = None
    ) -> SubscriberView:
        if not await runtime_of(request).wait_for(token, msisdn):
            response.headers["Kabinet-Stale"] = "true"
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

    async def settled(request: Request, response: Response, token: str | None, key: str) -> None:
        """Wait (bounded) until what the token names has reached this service's views."""
        await wait_catalog(catalog, token, runtime_of(request).settings.consistency_wait)
        if not await runtime_of(request).wait_for(token, key):
            response.headers["Kabinet-Stale"] = "true"

    @router.get("/subscribers/{msisdn}/profile")
    async def profile(
        msisdn: Msisdn, request: Request, response: Response, token: Token = None
    ) -> dict[str, Any]:
        await settled(request, response, token, msisdn)
        return profile_view(await asyncio.to_thread(app.subscriber, msisdn))

    @router.patch("/subscribers/{msisdn}/profile")
    def update_profile(
        msisdn: Msisdn,
        body: ProfileChange,
        response: Response,
        actor: ActorHeader = "subscriber",
        actor_id: ActorIdHeader = None,
    ) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True)
        position = app.update_profile(msisdn, changes, who_of(actor, actor_id))
        return written(response, position, **profile_view(app.subscriber(msisdn)))

    @router.get("/subscribers/{msisdn}/history")
    async def subscriber_history(
        msisdn: Msisdn, request: Request, response: Response, token: Token = None
    ) -> dict[str, Any]:
        await settled(request, response, token, msisdn)
        events = await asyncio.to_thread(app.history, msisdn)
        lang = (await asyncio.to_thread(app.subscriber, msisdn)).language
        return {"msisdn": msisdn, "language": lang, "events": history(events, lang)}

    return router
