"""Account's HTTP entry points for what the subscriber buys and asks: tariff, options,
suspension, blacklist, content subscriptions and support questions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from kabinet.runtime import runtime_of
from kabinet.types import Msisdn
from services.account.api import (
    ActorHeader,
    ActorIdHeader,
    Token,
    wait_catalog,
    who_of,
    written,
)
from services.account.application import AccountApplication
from services.account.catalog import CatalogProjection
from services.account.views import options_view, subscriptions_view, tariffs_view

ProductId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_\-]{0,60}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TariffChoice(Strict):
    tariff_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,60}$")


class Suspension(Strict):
    reason: Literal["lost", "staff"] = "lost"


class BlacklistEntry(Strict):
    number: Msisdn


class ContentSubscription(Strict):
    option_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,60}$")


class Question(Strict):
    topic: Literal["billing", "tariff", "options", "network", "roaming", "other"]
    text: str = Field(min_length=1, max_length=2000)


class Answer(Strict):
    text: str = Field(min_length=1, max_length=4000)


def create_router(app: AccountApplication, catalog: CatalogProjection) -> APIRouter:  # noqa: C901
    router = APIRouter(prefix="/subscribers/{msisdn}", tags=["account"])

    async def caught_up(request: Request, token: str | None) -> None:
        await wait_catalog(catalog, token, runtime_of(request).settings.consistency_wait)

    @router.get("/tariffs")
    async def tariffs(msisdn: Msisdn, request: Request, token: Token = None) -> dict[str, Any]:
        await caught_up(request, token)
        return tariffs_view(app.subscriber(msisdn), app.tariffs(), app.clock.now())

    @router.put("/tariff")
    def change_tariff(
        msisdn: Msisdn,
        body: TariffChoice,
        response: Response,
        actor: ActorHeader = "subscriber",
        actor_id: ActorIdHeader = None,
    ) -> dict[str, Any]:
        position = app.change_tariff(msisdn, body.tariff_id, who_of(actor, actor_id))
        return written(response, position, tariff_id=body.tariff_id)

    @router.get("/options")
    def options(msisdn: Msisdn) -> dict[str, Any]:
        return options_view(app.subscriber(msisdn), app.options(), app.clock.now())

    @router.put("/options/{option_id}")
    def connect(
        msisdn: Msisdn,
        option_id: ProductId,
        response: Response,
        actor: ActorHeader = "subscriber",
        actor_id: ActorIdHeader = None,
    ) -> dict[str, Any]:
        position = app.connect_option(msisdn, option_id, who_of(actor, actor_id))
        return written(response, position, option_id=option_id, connected=True)

    @router.delete("/options/{option_id}")
    def disconnect(
        msisdn: Msisdn,
        option_id: ProductId,
        response: Response,
        actor: ActorHeader = "subscriber",
        actor_id: ActorIdHeader = None,
    ) -> dict[str, Any]:
        position = app.disconnect_option(msisdn, option_id, who_of(actor, actor_id))
        return written(response, position, option_id=option_id, connected=False)

    @router.post("/suspension", status_code=201)
    def suspend(
        msisdn: Msisdn,
        body: Suspension,
        response: Response,
        actor: ActorHeader = "subscriber",
        actor_id: ActorIdHeader = None,
    ) -> dict[str, Any]:
        position = app.suspend(msisdn, body.reason, who_of(actor, actor_id))
        return written(response, position, status="suspended", reason=body.reason)

    @router.delete("/suspension")
    def resume(
        msisdn: Msisdn,
        response: Response,
        actor: ActorHeader = "subscriber",
        actor_id: ActorIdHeader = None,
    ) -> dict[str, Any]:
        position = app.resume(msisdn, who_of(actor, actor_id))
        return written(response, position, status="active")

    @router.get("/blacklist")
    def blacklist(msisdn: Msisdn) -> dict[str, Any]:
        found = app.subscriber(msisdn)
        return {"numbers": found.blacklist, "service_connected": "blacklist" in found.options}

    @router.post("/blacklist", status_code=201)
    def blacklist_add(
        msisdn: Msisdn,
        body: BlacklistEntry,
        response: Response,
        actor: ActorHeader = "subscriber",
        actor_id: ActorIdHeader = None,
    ) -> dict[str, Any]:
        position = app.blacklist_add(msisdn, body.number, who_of(actor, actor_id))
        return written(response, position, number=body.number)

    @router.delete("/blacklist/{number}")
    def blacklist_remove(
        msisdn: Msisdn,
        number: Msisdn,
        response: Response,
        actor: ActorHeader = "subscriber",
        actor_id: ActorIdHeader = None,
    ) -> dict[str, Any]:
        position = app.blacklist_remove(msisdn, number, who_of(actor, actor_id))
        return written(response, position, number=number)

    @router.get("/subscriptions")
    def subscriptions(msisdn: Msisdn) -> dict[str, Any]:
        return subscriptions_view(app.subscriber(msisdn))

    @router.post("/subscriptions", status_code=201)
    def add_subscription(
        msisdn: Msisdn,
        body: ContentSubscription,
        response: Response,
        actor: ActorHeader = "staff",
        actor_id: ActorIdHeader = None,
    ) -> dict[str, Any]:
        position = app.add_subscription(msisdn, body.option_id, who_of(actor, actor_id))
        return written(response, position, subscription_id=body.option_id)

    @router.delete("/subscriptions/{subscription_id}")
    def cancel_subscription(
        msisdn: Msisdn,
        subscription_id: ProductId,
        response: Response,
        actor: ActorHeader = "subscriber",
        actor_id: ActorIdHeader = None,
    ) -> dict[str, Any]:
        position = app.cancel_subscription(msisdn, subscription_id, who_of(actor, actor_id))
        return written(response, position, subscription_id=subscription_id)

    @router.get("/questions")
    def questions(msisdn: Msisdn) -> dict[str, Any]:
        found = app.subscriber(msisdn)
        return {"questions": sorted(found.questions.values(), key=lambda q: q["asked_at"])}

    @router.post("/questions", status_code=201)
    def ask(
        msisdn: Msisdn,
        body: Question,
        response: Response,
        actor: ActorHeader = "subscriber",
        actor_id: ActorIdHeader = None,
    ) -> dict[str, Any]:
        question_id, position = app.ask(msisdn, body.topic, body.text, who_of(actor, actor_id))
        return written(response, position, question_id=question_id, status="open")

    @router.post("/questions/{question_id}/answer", status_code=201)
    def answer(
        msisdn: Msisdn,
        question_id: str,
        body: Answer,
        response: Response,
        actor: ActorHeader = "staff",
        actor_id: ActorIdHeader = None,
    ) -> dict[str, Any]:
        position = app.answer(msisdn, question_id, body.text, who_of(actor, actor_id))
        return written(response, position, question_id=question_id, status="answered")

    return router
