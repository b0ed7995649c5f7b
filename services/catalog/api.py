"""Catalog's HTTP entry points: hot reads from memory with ETags, staff changes."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from kabinet import consistency
from kabinet.domain import KabinetError, NotFound
from kabinet.types import Rub
from services.catalog.application import CatalogApplication
from services.catalog.domain import PriceTable, Product
from services.catalog.projections import CatalogView, Rendered
from services.catalog.render import render_history, render_option, render_tariff

P = TypeVar("P", bound=Product)
Token = Annotated[str | None, Header(alias=consistency.HEADER)]
RegionCode = Annotated[str, Field(pattern=r"^[a-z][a-z_]{1,40}$")]
ProductId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,60}$")]
Price = Annotated[Rub, Field(ge=0)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TariffPrices(Strict):
    recurring_fee: Price
    change_fee: Price = 0
    minute: Price
    sms: Price
    mms: Price
    data_mb: Price


class TariffIncluded(Strict):
    minutes: Count = 0
    sms: Count = 0
    mms: Count = 0
    data_mb: Count = 0


class TariffSpec(Strict):
    tariff_id: ProductId
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    fee_period: Literal["day", "month"] = "month"
    included: TariffIncluded = TariffIncluded()
    prices: dict[RegionCode, TariffPrices] = Field(min_length=1)
    roaming: bool = False
    international_zone: Literal["none", "cis", "world"] = "none"
    corporate_only: bool = False
    valid_from: AwareDatetime | None = None
    available_until: AwareDatetime | None = None


class OptionPrices(Strict):
    connect_fee: Price = 0
    recurring_fee: Price = 0
    add_fee: Price = 0


class OptionIncluded(Strict):
    minutes: Count = 0
    sms: Count = 0
    data_mb: Count = 0


class OptionSpec(Strict):
    option_id: ProductId
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    kind: Literal["service", "package", "setting", "content"]
    provider: str | None = Field(default=None, min_length=1, max_length=100)
    fee_period: Literal["day", "month"] | None = None
    included: OptionIncluded = OptionIncluded()
    prices: dict[RegionCode, OptionPrices] = Field(min_length=1)
    tariff_ids: list[ProductId] = Field(default=[], max_length=100)
    requires_option_ids: list[ProductId] = Field(default=[], max_length=100)
    excludes_option_ids: list[ProductId] = Field(default=[], max_length=100)
    default_connected: bool = False
    valid_from: AwareDatetime | None = None


class PriceChange(Strict):
    component: str = Field(min_length=1, max_length=40)
    region: RegionCode
    amount: Price
    valid_from: AwareDatetime | None = None


class Retirement(Strict):
    effective_at: AwareDatetime | None = None
    replacement_tariff_id: ProductId | None = None


class Written(BaseModel):
    id: str
    consistency_token: str


def price_table(prices: dict[str, TariffPrices] | dict[str, OptionPrices]) -> PriceTable:
    """Validated prices → region → component → kopecks."""
    return {
        region: {name: getattr(table, name) for name in type(table).model_fields}
        for region, table in prices.items()
    }


def _written(response: Response, product_id: str, position: int) -> Written:
    token = consistency.encode({"catalog": position})
    response.headers[consistency.HEADER] = token
    return Written(id=product_id, consistency_token=token)


_INSTANT: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)
LIST_PARAMETERS: dict[str, Any] = {
    "parameters": [
        {"name": "region", "in": "query", "schema": {"type": "string"}},
        {"name": "at", "in": "query", "schema": {"type": "string", "format": "date-time"}},
        {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
        {"name": consistency.HEADER, "in": "header", "schema": {"type": "string"}},
    ]
}


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return _INSTANT.validate_python(text)
    except ValidationError:
        raise KabinetError("at must be a date-time with a time zone", field="at") from None


def _known(products: dict[str, P], product_id: str, kind: str) -> P:
    found = products.get(product_id)
    if found is None:
        raise NotFound(f"no {kind} '{product_id}'", field=f"{kind}_id")
    return found


def _answer(rendered: Rendered, if_none_match: str | None) -> Response:
    headers = {"ETag": rendered.etag, "Cache-Control": "no-cache"}
    if if_none_match and rendered.etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type="application/json", headers=headers)


def create_router(app: CatalogApplication, view: CatalogView) -> APIRouter:
    router = APIRouter(tags=["catalog"])

    async def fresh(token: str | None) -> None:
        wanted = consistency.decode(token).get("catalog", 0)
        if view.needs_refresh(wanted):
            await asyncio.to_thread(view.refresh)

    def known_region(region: str | None) -> str | None:
        if region is not None and region not in view.regions():
            raise KabinetError(
                f"unknown region '{region}'; one of: {', '.join(view.regions())}", field="region"
            )
        return region

    @router.get("/regions")
    async def regions(token: Token = None) -> dict[str, list[str]]:
        await fresh(token)
        return {"regions": view.regions()}

    async def hot_list(request: Request, render: Any) -> Response:
        """The hot path reads its few parameters itself: no per-request model solving."""
        query, headers = request.query_params, request.headers
        await fresh(headers.get(consistency.HEADER))
        at = _instant(query.get("at"))
        return _answer(render(known_region(query.get("region")), at), headers.get("if-none-match"))

    @router.get("/tariffs", openapi_extra=LIST_PARAMETERS)
    async def tariffs(request: Request) -> Response:
        """Tariffs open for choice (in `region`, with its prices) at `at` (default now)."""
        return await hot_list(request, view.tariff_list)

    @router.get("/options", openapi_extra=LIST_PARAMETERS)
    async def options(request: Request) -> Response:
        """Options open for connection (in `region`, with its prices) at `at` (default now)."""
        return await hot_list(request, view.option_list)

    @router.get("/tariffs/{tariff_id}")
    async def tariff(
        tariff_id: str,
        region: Annotated[str | None, Query()] = None,
        at: Annotated[AwareDatetime | None, Query()] = None,
        token: Token = None,
    ) -> dict[str, Any]:
        await fresh(token)
        found = _known(view.tariffs, tariff_id, "tariff")
        return render_tariff(found, known_region(region), at or app.clock.now())

    @router.get("/options/{option_id}")
    async def option(
        option_id: str,
        region: Annotated[str | None, Query()] = None,
        at: Annotated[AwareDatetime | None, Query()] = None,
        token: Token = None,
    ) -> dict[str, Any]:
        await fresh(token)
        found = _known(view.options, option_id, "option")
        return render_option(found, known_region(region), at or app.clock.now())

    @router.get("/tariffs/{tariff_id}/prices")
    async def tariff_prices(
        tariff_id: str, region: Annotated[str | None, Query()] = None, token: Token = None
    ) -> dict[str, Any]:
        await fresh(token)
        found = _known(view.tariffs, tariff_id, "tariff")
        return render_history(found, region)

    @router.get("/options/{option_id}/prices")
    async def option_prices(
        option_id: str, region: Annotated[str | None, Query()] = None, token: Token = None
    ) -> dict[str, Any]:
        await fresh(token)
        found = _known(view.options, option_id, "option")
        return render_history(found, region)

    @router.post("/tariffs", status_code=201)
    def publish_tariff(body: TariffSpec, response: Response) -> Written:
        details = body.model_dump(mode="json", exclude={"prices", "valid_from"}, exclude_none=False)
        position = app.publish_tariff(details, price_table(body.prices), body.valid_from)
        return _written(response, body.tariff_id, position)

    @router.post("/options", status_code=201)
    def publish_option(body: OptionSpec, response: Response) -> Written:
        details = body.model_dump(mode="json", exclude={"prices", "valid_from"})
        position = app.publish_option(details, price_table(body.prices), body.valid_from)
        return _written(response, body.option_id, position)

    @router.post("/tariffs/{tariff_id}/prices", status_code=201)
    def change_tariff_price(tariff_id: str, body: PriceChange, response: Response) -> Written:
        position = app.change_price(
            app.tariff(tariff_id), body.component, body.region, body.amount, body.valid_from
        )
        return _written(response, tariff_id, position)

    @router.post("/options/{option_id}/prices", status_code=201)
    def change_option_price(option_id: str, body: PriceChange, response: Response) -> Written:
        position = app.change_price(
            app.option(option_id), body.component, body.region, body.amount, body.valid_from
        )
        return _written(response, option_id, position)

    @router.post("/tariffs/{tariff_id}/retirement", status_code=201)
    def retire_tariff(tariff_id: str, body: Retirement, response: Response) -> Written:
        position = app.retire_tariff(tariff_id, body.effective_at, body.replacement_tariff_id)
        return _written(response, tariff_id, position)

    return router
