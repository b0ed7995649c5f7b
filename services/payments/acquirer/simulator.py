"""The simulator's HTTP API: tokenise a card, pay, read a payment; callbacks are signed.

State lives in memory: the simulator stands for an external system, not for our data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import httpx
import structlog
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kabinet.domain import KabinetError, NotFound
from kabinet.http import install_problem_handlers
from services.payments.acquirer.settings import AcquirerSettings
from services.payments.acquirer.signing import SIGNATURE_HEADER, sign

log = structlog.get_logger("acquirer.simulator")

Behaviour = Literal["succeed", "decline", "timeout", "callback_twice", "silent"]
TEST_CARDS: dict[str, Behaviour] = {
    "4111111111111111": "succeed",
    "4000000000000002": "decline",
    "4000000000000119": "timeout",
    "4000000000000259": "callback_twice",
    "4000000000000341": "silent",
}
Status = Literal["processing", "captured", "declined"]


class CardRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: Annotated[str, StringConstraints(pattern=r"^[\d ]{12,23}$")]
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=2024, le=2099)
    cvc: Annotated[str, StringConstraints(pattern=r"^\d{3,4}$")]


class PaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_id: str = Field(min_length=1, max_length=100)
    amount_kopecks: int = Field(gt=0)
    card_token: str


@dataclass
class Payment:
    payment_id: str
    amount_kopecks: int
    behaviour: Behaviour
    status: Status = "processing"
    reason: str | None = None

    def view(self) -> dict[str, object]:
        return {
            "payment_id": self.payment_id,
            "amount_kopecks": self.amount_kopecks,
            "status": self.status,
            "reason": self.reason,
        }


def create_simulator(settings: AcquirerSettings) -> FastAPI:
    cards: dict[str, tuple[Behaviour, str]] = {}
    payments: dict[str, Payment] = {}
    payouts: dict[str, Payment] = {}
    tasks: set[asyncio.Task[None]] = set()
    client = httpx.AsyncClient(timeout=5.0)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        for task in tasks:
            task.cancel()
        await client.aclose()

    api = FastAPI(title="acquirer simulator", lifespan=lifespan)
    install_problem_handlers(api)

    async def call_back(payment: Payment) -> None:
        if not settings.callback_url or not settings.secret or payment.behaviour == "silent":
            return
        body = json.dumps(payment.view()).encode()
        headers = {
            SIGNATURE_HEADER: sign(settings.secret, body),
            "Content-Type": "application/json",
        }
        for _ in range(2 if payment.behaviour == "callback_twice" else 1):
            try:
                await client.post(settings.callback_url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                log.warning("callback_failed", payment_id=payment.payment_id, reason=str(exc))

    def later(coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def settle_late(payment: Payment, notify: bool) -> None:
        await asyncio.sleep(settings.hang_seconds)  # poll: the simulated bank is slow
        payment.status = "captured"
        if notify:
            await call_back(payment)

    @api.post("/v1/cards", status_code=201)
    async def tokenise(card: CardRequest) -> dict[str, str]:
        number = card.number.replace(" ", "")
        behaviour = TEST_CARDS.get(number)
        if behaviour is None:
            raise KabinetError("use one of the simulator's test cards", field="number")
        token = "tok_" + secrets.token_hex(12)
        cards[token] = (behaviour, number[-4:])
        return {"card_token": token, "last4": number[-4:]}

    @api.post("/v1/payments")
    async def pay(request: PaymentRequest) -> dict[str, object]:
        return await move(request, payments, notify=True)

    @api.post("/v1/payouts")
    async def payout(request: PaymentRequest) -> dict[str, object]:
        """Money to a card: the same test cards, 'captured' meaning paid out."""
        return await move(request, payouts, notify=False)

    async def move(
        request: PaymentRequest, payments: dict[str, Payment], notify: bool
    ) -> dict[str, object]:
        """Payments call back when settled; payouts are only answered and polled."""
        if request.payment_id in payments:  # idempotent on the payment id
            return payments[request.payment_id].view()
        if request.card_token not in cards:
            raise NotFound("unknown card token", field="card_token")
        behaviour = cards[request.card_token][0]
        payment = Payment(request.payment_id, request.amount_kopecks, behaviour)
        payments[payment.payment_id] = payment
        if behaviour in ("timeout", "silent"):
            later(settle_late(payment, notify))
            await asyncio.sleep(settings.hang_seconds)  # poll: longer than the caller waits
            return payment.view()
        if behaviour == "decline":
            payment.status, payment.reason = "declined", "insufficient_funds"
        else:
            payment.status = "captured"
        if notify:
            later(call_back(payment))
        return payment.view()

    @api.get("/v1/payments/{payment_id}")
    async def read(payment_id: str) -> dict[str, object]:
        if payment_id not in payments:
            raise NotFound("no such payment", field="payment_id")
        return payments[payment_id].view()

    @api.get("/v1/payouts/{payout_id}")
    async def read_payout(payout_id: str) -> dict[str, object]:
        if payout_id not in payouts:
            raise NotFound("no such payout", field="payout_id")
        return payouts[payout_id].view()

    @api.get("/healthz")
    @api.get("/readyz")
    async def healthy() -> dict[str, str]:
        return {"status": "ok"}

    return api
