"""Payments' HTTP entry points (reached through the gateway): thin, one use case each.

One module-level router; routes reach the application and its use cases through
dependencies (`services.payments.deps`, `kabinet.deps`): a money-moving route checks its
Idempotency-Key, waits for the consistency token it carries, then runs its use case.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kabinet.deps import IdempotencyKey, Settled, answered, command
from kabinet.money import format_rub
from kabinet.types import Msisdn, Rub
from services.payments import history
from services.payments.acquirer.signing import SIGNATURE_HEADER
from services.payments.autopay import AutopaySetup
from services.payments.deps import AutopayRuns, Cards, Channels, Payments, Payouts
from services.payments.rules import (
    LOYALTY_KOPECKS_PER_POINT,
    LOYALTY_MIN_REDEMPTION,
    LOYALTY_POINT_KOPECKS,
    PROMISE_TERMS,
    PaymentsError,
)

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


Signature = Annotated[str | None, Header(alias=SIGNATURE_HEADER)]
Since = Annotated[AwareDatetime | None, Query(alias="from")]
Until = Annotated[AwareDatetime | None, Query(alias="to")]
Limit = Annotated[int, Query(ge=1, le=history.MAX_LIMIT)]
Cursor = Annotated[int | None, Query(ge=2)]

router = APIRouter(tags=["payments"])


@router.post("/balances/{msisdn}/topups", status_code=201)
async def top_up(
    msisdn: Msisdn,
    body: TopUpRequest,
    app: Payments,
    cards: Cards,
    channels: Channels,
    key: IdempotencyKey,
    _: Settled,
) -> JSONResponse:
    """By card (201 captured, 202 pending at the acquirer); without one only in dev."""
    if body.card_token is not None:
        status, result = await asyncio.to_thread(
            cards.start, msisdn, body.amount, body.card_token, key
        )
        return answered(result, status, token=status == 201)
    if channels.direct:
        return await command(app.top_up, msisdn, body.amount, key)
    raise PaymentsError(
        "a top-up is paid by card: card_token is required",
        field="card_token",
        rule="topup_card_required",
    )


@router.post("/acquirer/callbacks")
async def acquirer_callback(
    request: Request, cards: Cards, signature: Signature = None
) -> dict[str, bool]:
    body = await request.body()
    return {"settled": await asyncio.to_thread(cards.on_callback, body, signature)}


@router.get("/balances/{msisdn}")
async def balance(msisdn: Msisdn, app: Payments, after: Settled, response: Response) -> BalanceView:
    after.mark(response)
    found = app.cached_balance(msisdn)
    if found is None:  # not loaded since start, or another replica may write it
        found = await asyncio.to_thread(app.balance, msisdn)
    return BalanceView(msisdn=found.msisdn, **app.money_view(found))


@router.get("/balances/{msisdn}/operations")
async def operations(
    msisdn: Msisdn,
    app: Payments,
    after: Settled,
    response: Response,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    after.mark(response)
    return await asyncio.to_thread(history.operations, app, msisdn, since, until, limit, cursor)


@router.get("/balances/{msisdn}/promised-payment")
async def promised_payment(msisdn: Msisdn, app: Payments, _: Settled) -> Any:
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
    msisdn: Msisdn, body: AmountRequest, app: Payments, key: IdempotencyKey, _: Settled
) -> JSONResponse:
    return await command(app.grant_promise, msisdn, body.amount, key)


@router.post("/balances/{msisdn}/transfers", status_code=201)
async def transfer(
    msisdn: Msisdn, body: TransferRequest, app: Payments, key: IdempotencyKey, _: Settled
) -> JSONResponse:
    return await command(app.transfer, msisdn, body.to, body.amount, key)


@router.get("/balances/{msisdn}/loyalty")
async def loyalty(msisdn: Msisdn, app: Payments, _: Settled) -> dict[str, Any]:
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
    msisdn: Msisdn, body: RedemptionRequest, app: Payments, key: IdempotencyKey, _: Settled
) -> JSONResponse:
    return await command(app.redeem_points, msisdn, body.points, key)


@router.get("/balances/{msisdn}/low-balance-alert")
async def alert(msisdn: Msisdn, app: Payments) -> dict[str, Any]:
    return await asyncio.to_thread(app.alert_view, msisdn)


@router.put("/balances/{msisdn}/low-balance-alert")
async def set_alert(msisdn: Msisdn, body: AlertRequest, app: Payments) -> dict[str, Any]:
    return await asyncio.to_thread(app.set_alert_level, msisdn, body.level)


@router.get("/balances/{msisdn}/autopay")
async def autopay(msisdn: Msisdn, autopays: AutopayRuns, _: Settled) -> dict[str, Any]:
    return await asyncio.to_thread(autopays.show, msisdn)


@router.put("/balances/{msisdn}/autopay")
async def set_autopay(
    msisdn: Msisdn, body: AutopayRequest, autopays: AutopayRuns
) -> dict[str, Any]:
    setup = AutopaySetup(
        body.card_token, body.card_last4, body.threshold, body.amount, body.monthly_cap
    )
    return await asyncio.to_thread(autopays.configure, msisdn, setup)


@router.delete("/balances/{msisdn}/autopay")
async def cancel_autopay(msisdn: Msisdn, autopays: AutopayRuns) -> dict[str, Any]:
    return await asyncio.to_thread(autopays.cancel, msisdn)


@router.post("/balances/{msisdn}/withdrawals", status_code=201)
async def withdraw(
    msisdn: Msisdn, body: WithdrawalRequest, payouts: Payouts, key: IdempotencyKey, _: Settled
) -> JSONResponse:
    """201 paid, 202 pending at the acquirer; either way the hold is on the ledger."""
    status, result = await asyncio.to_thread(
        payouts.request, msisdn, body.amount, body.card_token, body.card_last4, key
    )
    return answered(result, status)
