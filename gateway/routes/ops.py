"""Staff routes (`/ops/v1`), every one behind the staff credential."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from gateway.deps import Token, forward, staff
from gateway.routes.account import to_account

router = APIRouter(prefix="/ops/v1", tags=["staff"], dependencies=[Depends(staff)])


@router.post("/subscribers", status_code=201)
async def activate(request: Request, token: Token) -> Response:
    return await forward(request, "account", "POST", "/subscribers", token=token, body=True)


@router.patch("/subscribers/{msisdn}/profile")
async def update_profile(request: Request, msisdn: str, token: Token) -> Response:
    path = f"/subscribers/{msisdn}/profile"
    return await to_account(request, "PATCH", path, token, actor="staff", body=True)


@router.post("/subscribers/{msisdn}/suspension", status_code=201)
async def suspend(request: Request, msisdn: str, token: Token) -> Response:
    path = f"/subscribers/{msisdn}/suspension"
    return await to_account(request, "POST", path, token, actor="staff", body=True)


@router.delete("/subscribers/{msisdn}/suspension")
async def resume(request: Request, msisdn: str, token: Token) -> Response:
    path = f"/subscribers/{msisdn}/suspension"
    return await to_account(request, "DELETE", path, token, actor="staff")


@router.post("/subscribers/{msisdn}/subscriptions", status_code=201)
async def add_subscription(request: Request, msisdn: str, token: Token) -> Response:
    path = f"/subscribers/{msisdn}/subscriptions"
    return await to_account(request, "POST", path, token, actor="staff", body=True)


@router.post("/subscribers/{msisdn}/support/questions/{question_id}/answer", status_code=201)
async def answer(request: Request, msisdn: str, question_id: str, token: Token) -> Response:
    path = f"/subscribers/{msisdn}/questions/{question_id}/answer"
    return await to_account(request, "POST", path, token, actor="staff", body=True)


async def _catalog(request: Request, path: str) -> Response:
    return await forward(request, "catalog", "POST", path, body=True)


@router.post("/catalog/tariffs", status_code=201)
async def publish_tariff(request: Request) -> Response:
    return await _catalog(request, "/tariffs")


@router.post("/catalog/options", status_code=201)
async def publish_option(request: Request) -> Response:
    return await _catalog(request, "/options")


@router.post("/catalog/tariffs/{tariff_id}/prices", status_code=201)
async def change_tariff_price(request: Request, tariff_id: str) -> Response:
    return await _catalog(request, f"/tariffs/{tariff_id}/prices")


@router.post("/catalog/options/{option_id}/prices", status_code=201)
async def change_option_price(request: Request, option_id: str) -> Response:
    return await _catalog(request, f"/options/{option_id}/prices")


@router.post("/catalog/tariffs/{tariff_id}/retirement", status_code=201)
async def retire_tariff(request: Request, tariff_id: str) -> Response:
    return await _catalog(request, f"/tariffs/{tariff_id}/retirement")
