"""Account's HTTP entry points for what the subscriber buys and asks: tariff, options,
suspension, blacklist, content subscriptions and support questions.

One module-level router under `/subscribers/{msisdn}`; each change is one use case of
the application run in a worker thread, answered by `written`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from kabinet.types import Msisdn
from services.account.deps import Account, By, ByStaff, CatalogSettled, written
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


router = APIRouter(prefix="/subscribers/{msisdn}", tags=["account"])


@router.get("/tariffs")
async def tariffs(msisdn: Msisdn, app: Account, _: CatalogSettled) -> dict[str, Any]:
    return await asyncio.to_thread(
        lambda: tariffs_view(app.subscriber(msisdn), app.tariffs(), app.clock.now())
    )


@router.put("/tariff")
async def change_tariff(
    msisdn: Msisdn, body: TariffChoice, app: Account, who: By, response: Response
) -> dict[str, Any]:
    position = await asyncio.to_thread(app.change_tariff, msisdn, body.tariff_id, who)
    return written(response, position, tariff_id=body.tariff_id)


@router.get("/options")
async def options(msisdn: Msisdn, app: Account) -> dict[str, Any]:
    return await asyncio.to_thread(
        lambda: options_view(app.subscriber(msisdn), app.options(), app.clock.now())
    )


@router.put("/options/{option_id}")
async def connect(
    msisdn: Msisdn, option_id: ProductId, app: Account, who: By, response: Response
) -> dict[str, Any]:
    position = await asyncio.to_thread(app.connect_option, msisdn, option_id, who)
    return written(response, position, option_id=option_id, connected=True)


@router.delete("/options/{option_id}")
async def disconnect(
    msisdn: Msisdn, option_id: ProductId, app: Account, who: By, response: Response
) -> dict[str, Any]:
    position = await asyncio.to_thread(app.disconnect_option, msisdn, option_id, who)
    return written(response, position, option_id=option_id, connected=False)


@router.post("/suspension", status_code=201)
async def suspend(
    msisdn: Msisdn, body: Suspension, app: Account, who: By, response: Response
) -> dict[str, Any]:
    position = await asyncio.to_thread(app.suspend, msisdn, body.reason, who)
    return written(response, position, status="suspended", reason=body.reason)


@router.delete("/suspension")
async def resume(msisdn: Msisdn, app: Account, who: By, response: Response) -> dict[str, Any]:
    position = await asyncio.to_thread(app.resume, msisdn, who)
    return written(response, position, status="active")


@router.get("/blacklist")
async def blacklist(msisdn: Msisdn, app: Account) -> dict[str, Any]:
    found = await asyncio.to_thread(app.subscriber, msisdn)
    return {"numbers": found.blacklist, "service_connected": "blacklist" in found.options}


@router.post("/blacklist", status_code=201)
async def blacklist_add(
    msisdn: Msisdn, body: BlacklistEntry, app: Account, who: By, response: Response
) -> dict[str, Any]:
    position = await asyncio.to_thread(app.blacklist_add, msisdn, body.number, who)
    return written(response, position, number=body.number)


@router.delete("/blacklist/{number}")
async def blacklist_remove(
    msisdn: Msisdn, number: Msisdn, app: Account, who: By, response: Response
) -> dict[str, Any]:
    position = await asyncio.to_thread(app.blacklist_remove, msisdn, number, who)
    return written(response, position, number=number)


@router.get("/subscriptions")
async def subscriptions(msisdn: Msisdn, app: Account) -> dict[str, Any]:
    return subscriptions_view(await asyncio.to_thread(app.subscriber, msisdn))


@router.post("/subscriptions", status_code=201)
async def add_subscription(
    msisdn: Msisdn, body: ContentSubscription, app: Account, who: ByStaff, response: Response
) -> dict[str, Any]:
    position = await asyncio.to_thread(app.add_subscription, msisdn, body.option_id, who)
    return written(response, position, subscription_id=body.option_id)


@router.delete("/subscriptions/{subscription_id}")
async def cancel_subscription(
    msisdn: Msisdn, subscription_id: ProductId, app: Account, who: By, response: Response
) -> dict[str, Any]:
    position = await asyncio.to_thread(app.cancel_subscription, msisdn, subscription_id, who)
    return written(response, position, subscription_id=subscription_id)


@router.get("/questions")
async def questions(msisdn: Msisdn, app: Account) -> dict[str, Any]:
    found = await asyncio.to_thread(app.subscriber, msisdn)
    return {"questions": sorted(found.questions.values(), key=lambda q: q["asked_at"])}


@router.post("/questions", status_code=201)
async def ask(
    msisdn: Msisdn, body: Question, app: Account, who: By, response: Response
) -> dict[str, Any]:
    question_id, position = await asyncio.to_thread(app.ask, msisdn, body.topic, body.text, who)
    return written(response, position, question_id=question_id, status="open")


@router.post("/questions/{question_id}/answer", status_code=201)
async def answer(
    msisdn: Msisdn, question_id: str, body: Answer, app: Account, who: ByStaff, response: Response
) -> dict[str, Any]:
    position = await asyncio.to_thread(app.answer, msisdn, question_id, body.text, who)
    return written(response, position, question_id=question_id, status="answered")
