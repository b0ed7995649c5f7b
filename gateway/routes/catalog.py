"""The public catalog (catalog service): tariffs and options with regional prices.

Answers pass through byte for byte with their `ETag`; `If-None-Match` reaches the
service, so an unchanged list is a 304 without a body.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from gateway.deps import Token, services_of

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])

IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match")]
PASSED = ("content-type", "etag", "cache-control", "kabinet-consistency-token")


async def _read(
    request: Request, path: str, token: str | None, if_none_match: str | None
) -> Response:
    headers = {"If-None-Match": if_none_match} if if_none_match else {}
    answer = await services_of(request).call(
        "catalog", "GET", path + (f"?{request.url.query}" if request.url.query else ""),
        token=token, headers=headers,
    )  # fmt: skip
    passed = {k: v for k, v in answer.headers.items() if k.lower() in PASSED}
    return Response(answer.content, status_code=answer.status_code, headers=passed)


@router.get("/regions")
async def regions(request: Request, token: Token) -> Response:
    return await _read(request, "/regions", token, None)


@router.get("/tariffs")
async def tariffs(request: Request, token: Token, if_none_match: IfNoneMatch = None) -> Response:
    return await _read(request, "/tariffs", token, if_none_match)


@router.get("/tariffs/{tariff_id}")
async def tariff(request: Request, tariff_id: str, token: Token) -> Response:
    return await _read(request, f"/tariffs/{tariff_id}", token, None)


@router.get("/tariffs/{tariff_id}/prices")
async def tariff_prices(request: Request, tariff_id: str, token: Token) -> Response:
    return await _read(request, f"/tariffs/{tariff_id}/prices", token, None)


@router.get("/options")
async def options(request: Request, token: Token, if_none_match: IfNoneMatch = None) -> Response:
    return await _read(request, "/options", token, if_none_match)


@router.get("/options/{option_id}")
async def option(request: Request, option_id: str, token: Token) -> Response:
    return await _read(request, f"/options/{option_id}", token, None)


@router.get("/options/{option_id}/prices")
async def option_prices(request: Request, option_id: str, token: Token) -> Response:
    return await _read(request, f"/options/{option_id}/prices", token, None)
