"""Catalog's HTTP entry points: hot reads from memory with ETags, staff changes.

One module-level router; routes reach the application and the in-memory view through
dependencies (`kabinet.deps`). Reads answer from the view, brought up to the position
of the consistency token they carry; the two lists read their request themselves, the
hottest path of the suite (`kabinet bench catalog`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from kabinet import consistency
from kabinet.deps import TOKEN_QUERY, Token, part_of, provided, token_in
from kabinet.domain import KabinetError, NotFound
from kabinet.types import Rub
from services.catalog.application import CatalogApplication
from services.catalog.domain import PriceTable, Product
from services.catalog.projections import CatalogView, Rendered
from services.catalog.render import render_history, render_option, render_tariff

P = TypeVar("P", bound=Product)
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
        {"name": TOKEN_QUERY, "in": "query", "schema": {"type": "string"}},
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


async def _fresh(view: CatalogView, token: str | None) -> CatalogView:
    """The view, first brought up to the token's catalog position if behind it."""
    if view.needs_refresh(consistency.decode(token).get("catalog", 0)):
        await asyncio.to_thread(view.refresh)
    return view


async def fresh_view(request: Request, token: Token) -> CatalogView:
    return await _fresh(part_of(request, CatalogView), token)


Catalog = Annotated[CatalogApplication, Depends(provided(CatalogApplication))]
View = Annotated[CatalogView, Depends(fresh_view)]
"""The catalog as read, up to date with the consistency token of the request."""
RegionQuery = Annotated[str | None, Query()]
AtQuery = Annotated[AwareDatetime | None, Query()]

router = APIRouter(tags=["catalog"])


def _known_region(view: CatalogView, region: str | None) -> str | None:
    if region is not None and region not in view.regions():
        raise KabinetError(
            f"unknown region '{region}'; one of: {', '.join(view.regions())}", field="region"
        )
    return region


async def _hot_list(
    request: Request, render: Callable[[CatalogView, str | None, datetime | None], Rendered]
) -> Response:
    """The hot path reads its few parameters itself: no per-request model solving."""
    query, headers = request.query_params, request.headers
    view = await _fresh(part_of(request, CatalogView), token_in(request))
    at = _instant(query.get("at"))
    rendered = render(view, _known_region(view, query.get("region")), at)
    return _answer(rendered, headers.get("if-none-match"))


@router.get("/regions")
async def regions(view: View) -> dict[str, list[str]]:
    return {"regions": view.regions()}


@router.get("/tariffs", openapi_extra=LIST_PARAMETERS)
async def tariffs(request: Request) -> Response:
    """Tariffs open for choice (in `region`, with its prices) at `at` (default now)."""
    return await _hot_list(request, CatalogView.tariff_list)


@router.get("/options", openapi_extra=LIST_PARAMETERS)
async def options(request: Request) -> Response:
    """Options open for connection (in `region`, with its prices) at `at` (default now)."""
    return await _hot_list(request, CatalogView.option_list)


@router.get("/tariffs/{tariff_id}")
async def tariff(
    tariff_id: str, view: View, region: RegionQuery = None, at: AtQuery = None
) -> dict[str, Any]:
    found = _known(view.tariffs, tariff_id, "tariff")
    return render_tariff(found, _known_region(view, region), at or view.clock.now())


@router.get("/options/{option_id}")
async def option(
    option_id: str, view: View, region: RegionQuery = None, at: AtQuery = None
) -> dict[str, Any]:
    found = _known(view.options, option_id, "option")
    return render_option(found, _known_region(view, region), at or view.clock.now())


@router.get("/tariffs/{tariff_id}/prices")
async def tariff_prices(tariff_id: str, view: View, region: RegionQuery = None) -> dict[str, Any]:
    return render_history(_known(view.tariffs, tariff_id, "tariff"), region)


@router.get("/options/{option_id}/prices")
async def option_prices(option_id: str, view: View, region: RegionQuery = None) -> dict[str, Any]:
    return render_history(_known(view.options, option_id, "option"), region)


@router.post("/tariffs", status_code=201)
async def publish_tariff(body: TariffSpec, app: Catalog, response: Response) -> Written:
    details = body.model_dump(mode="json", exclude={"prices", "valid_from"}, exclude_none=False)
    position = await asyncio.to_thread(
        app.publish_tariff, details, price_table(body.prices), body.valid_from
    )
    return _written(response, body.tariff_id, position)


@router.post("/options", status_code=201)
async def publish_option(body: OptionSpec, app: Catalog, response: Response) -> Written:
    details = body.model_dump(mode="json", exclude={"prices", "valid_from"})
    position = await asyncio.to_thread(
        app.publish_option, details, price_table(body.prices), body.valid_from
    )
    return _written(response, body.option_id, position)


async def _change_price(
    app: CatalogApplication,
    product_of: Callable[[str], Product],
    product_id: str,
    body: PriceChange,
    response: Response,
) -> Written:
    def change() -> int:
        product = product_of(product_id)
        return app.change_price(product, body.component, body.region, body.amount, body.valid_from)

    return _written(response, product_id, await asyncio.to_thread(change))


@router.post("/tariffs/{tariff_id}/prices", status_code=201)
async def change_tariff_price(
    tariff_id: str, body: PriceChange, app: Catalog, response: Response
) -> Written:
    return await _change_price(app, app.tariff, tariff_id, body, response)


@router.post("/options/{option_id}/prices", status_code=201)
async def change_option_price(
    option_id: str, body: PriceChange, app: Catalog, response: Response
) -> Written:
    return await _change_price(app, app.option, option_id, body, response)


@router.post("/tariffs/{tariff_id}/retirement", status_code=201)
async def retire_tariff(
    tariff_id: str, body: Retirement, app: Catalog, response: Response
) -> Written:
    position = await asyncio.to_thread(
        app.retire_tariff, tariff_id, body.effective_at, body.replacement_tariff_id
    )
    return _written(response, tariff_id, position)
