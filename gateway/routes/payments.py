"""Money routes of the subscriber (payments service): balance, history, top-ups,
promised payment, transfers. Money-moving POSTs pass the `Idempotency-Key` on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from gateway.deps import Me, Token, forward

router = APIRouter(prefix="/api/v1/me", tags=["subscriber"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


async def _move(
    request: Request, msisdn: str, path: str, token: str | None, key: str | None
) -> Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await forward(
        request, "payments", "POST", f"/balances/{msisdn}{path}",
        token=token, body=True, headers=headers,
    )  # fmt: skip


async def _read(request: Request, msisdn: str, path: str, token: str | None) -> Response:
    return await forward(
        request, "payments", "GET", f"/balances/{msisdn}{path}", token=token, query=True
    )


@router.post("/topups", status_code=201)
async def top_up(
    request: Request, msisdn: Me, token: Token, idempotency_key: IdempotencyKey = None
) -> Response:
    return await _move(request, msisdn, "/topups", token, idempotency_key)


@router.get("/balance")
async def balance(request: Request, msisdn: Me, token: Token) -> Response:
    return await _read(request, msisdn, "", token)


@router.get("/operations")
async def operations(request: Request, msisdn: Me, token: Token) -> Response:
    """Query: `from`, `to` (ISO 8601 with offset; default the last month), `limit`, `cursor`."""
    return await _read(request, msisdn, "/operations", token)


@router.get("/promised-payment")
async def promised_payment(request: Request, msisdn: Me, token: Token) -> Response:
    return await _read(request, msisdn, "/promised-payment", token)


@router.post("/promised-payment", status_code=201)
async def take_promised_payment(
    request: Request, msisdn: Me, token: Token, idempotency_key: IdempotencyKey = None
) -> Response:
    return await _move(request, msisdn, "/promised-payment", token, idempotency_key)


@router.post("/transfers", status_code=201)
async def transfer(
    request: Request, msisdn: Me, token: Token, idempotency_key: IdempotencyKey = None
) -> Response:
    return await _move(request, msisdn, "/transfers", token, idempotency_key)


@router.post("/withdrawals", status_code=201)
async def withdraw(
    request: Request, msisdn: Me, token: Token, idempotency_key: IdempotencyKey = None
) -> Response:
    """Body: `amount`, `card_token` and `card_last4` of a card tokenised at the acquirer."""
    return await _move(request, msisdn, "/withdrawals", token, idempotency_key)


@router.get("/loyalty")
async def loyalty(request: Request, msisdn: Me, token: Token) -> Response:
    return await _read(request, msisdn, "/loyalty", token)


@router.post("/loyalty/redemptions", status_code=201)
async def redeem_points(
    request: Request, msisdn: Me, token: Token, idempotency_key: IdempotencyKey = None
) -> Response:
    """Body: `points` to turn into balance credit."""
    return await _move(request, msisdn, "/loyalty/redemptions", token, idempotency_key)


@router.get("/autopay")
async def autopay(request: Request, msisdn: Me, token: Token) -> Response:
    return await _read(request, msisdn, "/autopay", token)


@router.put("/autopay")
async def set_autopay(request: Request, msisdn: Me) -> Response:
    """Body: `card_token`, `card_last4`, `threshold`, `amount`, `monthly_cap` (roubles)."""
    return await forward(request, "payments", "PUT", f"/balances/{msisdn}/autopay", body=True)


@router.delete("/autopay")
async def cancel_autopay(request: Request, msisdn: Me) -> Response:
    return await forward(request, "payments", "DELETE", f"/balances/{msisdn}/autopay")


@router.get("/low-balance-alert")
async def low_balance_alert(request: Request, msisdn: Me, token: Token) -> Response:
    return await _read(request, msisdn, "/low-balance-alert", token)


@router.put("/low-balance-alert")
async def set_low_balance_alert(request: Request, msisdn: Me) -> Response:
    """Body: `level` in roubles, or null to switch the notification off."""
    path = f"/balances/{msisdn}/low-balance-alert"
    return await forward(request, "payments", "PUT", path, body=True)
