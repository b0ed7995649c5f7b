"""Payments' HTTP entry points (reached through the gateway): thin, one use case each."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kabinet import consistency
from kabinet.idempotency import check_key
from kabinet.money import format_rub
from kabinet.runtime import runtime_of
from kabinet.types import Msisdn, Rub
from services.payments import history
from services.payments.acquirer.signing import SIGNATURE_HEADER
from services.payments.application import PaymentsApplication
from services.payments.autopay import AutopaySetup
from services.payments.autopays import Autopays
from services.payments.card_topups import CardTopUps
from services.payments.rules import (
    LOYALTY_KOPECKS_PER_POINT,
    LOYALTY_MIN_REDEMPTION,
    LOYALTY_POINT_KOPECKS,
    PROMISE_TERMS,
    PaymentsError,
)
from services.payments.withdrawals import Withdrawals

Token = Annotated[str | None, Header(alias=consistency.HEADER)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
Moved = Annotated[Rub, Field(gt=0, description="Roubles moved, more than zero.")]
"""A money-moving amount: zero or less is a malformed request, refused before any rule
(and so not kept under the Idempotency-Key)."""


class AmountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Moved


class TopUpRequest(AmountRequest):
    card_token: str | None = Field(
        default=None, min_length=1, max_length=200, description="The acquirer's card token."
    )


class WithdrawalRequest(AmountRequest):
    card_token: str = Field(min_length=1, max_length=200)
    card_last4: str = Field(pattern=r"^\d{4}$", description="Shown in the history only.")


class RedemptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: int = Field(gt=0, le=10_000_000)


class AutopayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_token: str = Field(min_length=1, max_length=200)
    card_last4: str = Field(pattern=r"^\d{4}$")
    threshold: Rub
    amount: Rub
    monthly_cap: Rub


class AlertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Rub | None


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Msisdn
    amount: Moved


class BalanceView(BaseModel):
    msisdn: str
    balance: str
    promised_credit: str
    available: str


def _answer(response: Response, result: dict[str, Any]) -> dict[str, Any]:
    response.headers[consistency.HEADER] = result["consistency_token"]
    return result


def create_router(
    app: PaymentsApplication,
    cards: CardTopUps,
    withdrawals: Withdrawals,
    autopays: Autopays,
    *,
    direct_top_ups: bool,
) -> APIRouter:
    """`direct_top_ups`: the dev profile may post a top-up without a card (already captured)."""
    router = APIRouter(tags=["payments"])

    @router.post("/balances/{msisdn}/topups", status_code=201)
    async def top_up(
        msisdn: Msisdn,
        body: TopUpRequest,
        request: Request,
        key: IdempotencyKey = None,
        token: Token = None,
    ) -> JSONResponse:
        checked = check_key(key)
        await runtime_of(request).wait_for(token, msisdn)
        if body.card_token is not None:
            status, result = await asyncio.to_thread(
                cards.start, msisdn, body.amount, body.card_token, checked
            )
        elif direct_top_ups:
            status, result = 201, await asyncio.to_thread(app.top_up, msisdn, body.amount, checked)
        else:
            raise PaymentsError(
                "a top-up is paid by card: card_token is required",
                field="card_token",
                rule="topup_card_required",
            )
        headers = {consistency.HEADER: result["consistency_token"]} if status == 201 else {}
        return JSONResponse(result, status_code=status, headers=headers)

    @router.post("/acquirer/callbacks")
    async def acquirer_callback(
        request: Request, signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None
    ) -> dict[str, bool]:
        body = await request.body()
        return {"settled": await asyncio.to_thread(cards.on_callback, body, signature)}

    @router.get("/balances/{msisdn}")
    async def balance(
        msisdn: Msisdn, request: Request, response: Response, token: Token = None
    ) -> BalanceView:
        if not await runtime_of(request).wait_for(token, msisdn):
            response.headers["Kabinet-Stale"] = "true"
        found = app.cached_balance(msisdn)
        if found is None:  # not loaded since start, or another replica may write it
            found = await asyncio.to_thread(app.balance, msisdn)
        return BalanceView(msisdn=found.msisdn, **app.money_view(found))

    @router.get("/balances/{msisdn}/operations")
    async def operations(
        msisdn: Msisdn,
        request: Request,
        response: Response,
        since: Annotated[AwareDatetime | None, Query(alias="from")] = None,
        until: Annotated[AwareDatetime | None, Query(alias="to")] = None,
        limit: Annotated[int, Query(ge=1, le=history.MAX_LIMIT)] = 50,
        cursor: Annotated[int | None, Query(ge=2)] = None,
        token: Token = None,
    ) -> dict[str, Any]:
        if not await runtime_of(request).wait_for(token, msisdn):
            response.headers["Kabinet-Stale"] = "true"
        return await asyncio.to_thread(history.operations, app, msisdn, since, until, limit, cursor)

    @router.get("/balances/{msisdn}/promised-payment")
    async def promised_payment(msisdn: Msisdn, request: Request, token: Token = None) -> Any:
        await runtime_of(request).wait_for(token, msisdn)
        found = await asyncio.to_thread(app.balance, msisdn)
        promise = found.promise
        return {
            "msisdn": msisdn,
            "open": None
            if promise is None
            else {
                "promise_id": promise.promise_id,
                "amount": format_rub(promise.amount_kopecks),
                "outstanding": format_rub(found.credit),
                "due_at": promise.due_at.isoformat(),
            },
            "offers": [
                {"amount": format_rub(amount), "term_days": days}
                for amount, days in PROMISE_TERMS.items()
            ],
            **app.money_view(found),
        }

    @router.post("/balances/{msisdn}/promised-payment", status_code=201)
    async def grant_promise(
        msisdn: Msisdn,
        body: AmountRequest,
        request: Request,
        response: Response,
        key: IdempotencyKey = None,
        token: Token = None,
    ) -> dict[str, Any]:
        checked = check_key(key)
        await runtime_of(request).wait_for(token, msisdn)
        result = await asyncio.to_thread(app.grant_promise, msisdn, body.amount, checked)
        return _answer(response, result)

    @router.post("/balances/{msisdn}/transfers", status_code=201)
    async def transfer(
        msisdn: Msisdn,
        body: TransferRequest,
        request: Request,
        response: Response,
        key: IdempotencyKey = None,
        token: Token = None,
    ) -> dict[str, Any]:
        checked = check_key(key)
        await runtime_of(request).wait_for(token, msisdn)
        result = await asyncio.to_thread(app.transfer, msisdn, body.to, body.amount, checked)
        return _answer(response, result)

    @router.get("/balances/{msisdn}/loyalty")
    async def loyalty(msisdn: Msisdn, request: Request, token: Token = None) -> dict[str, Any]:
        await runtime_of(request).wait_for(token, msisdn)
        found = await asyncio.to_thread(app.balance, msisdn)
        return {
            "msisdn": msisdn,
            "points": found.points,
            "rule": {
                "earn": f"1 point per full {format_rub(LOYALTY_KOPECKS_PER_POINT)} RUB of card "
                "top-ups over the number's life",
                "redeem": f"1 point = {format_rub(LOYALTY_POINT_KOPECKS)} RUB of balance, "
                f"at least {LOYALTY_MIN_REDEMPTION} points at once",
            },
        }

    @router.post("/balances/{msisdn}/loyalty/redemptions", status_code=201)
    async def redeem(
        msisdn: Msisdn,
        body: RedemptionRequest,
        request: Request,
        response: Response,
        key: IdempotencyKey = None,
        token: Token = None,
    ) -> dict[str, Any]:
        checked = check_key(key)
        await runtime_of(request).wait_for(token, msisdn)
        result = await asyncio.to_thread(app.redeem_points, msisdn, body.points, checked)
        return _answer(response, result)

    @router.get("/balances/{msisdn}/low-balance-alert")
    async def alert(msisdn: Msisdn) -> dict[str, Any]:
        return await asyncio.to_thread(app.alert_view, msisdn)

    @router.put("/balances/{msisdn}/low-balance-alert")
    async def set_alert(msisdn: Msisdn, body: AlertRequest) -> dict[str, Any]:
        return await asyncio.to_thread(app.set_alert_level, msisdn, body.level)

    @router.get("/balances/{msisdn}/autopay")
    async def autopay(msisdn: Msisdn, request: Request, token: Token = None) -> dict[str, Any]:
        await runtime_of(request).wait_for(token, msisdn)
        return await asyncio.to_thread(autopays.show, msisdn)

    @router.put("/balances/{msisdn}/autopay")
    async def set_autopay(msisdn: Msisdn, body: AutopayRequest) -> dict[str, Any]:
        setup = AutopaySetup(
            body.card_token, body.card_last4, body.threshold, body.amount, body.monthly_cap
        )
        return await asyncio.to_thread(autopays.configure, msisdn, setup)

    @router.delete("/balances/{msisdn}/autopay")
    async def cancel_autopay(msisdn: Msisdn) -> dict[str, Any]:
        return await asyncio.to_thread(autopays.cancel, msisdn)

    @router.post("/balances/{msisdn}/withdrawals", status_code=201)
    async def withdraw(
        msisdn: Msisdn,
        body: WithdrawalRequest,
        request: Request,
        key: IdempotencyKey = None,
        token: Token = None,
    ) -> JSONResponse:
        checked = check_key(key)
        await runtime_of(request).wait_for(token, msisdn)
        status, result = await asyncio.to_thread(
            withdrawals.request, msisdn, body.amount, body.card_token, body.card_last4, checked
        )
        return JSONResponse(
            result, status_code=status, headers={consistency.HEADER: result["consistency_token"]}
        )

    return router
