"""The acquirer port: pay by card token, read a payment back, verify callbacks.

`HttpAcquirer` speaks the simulator's API (the shape of a typical acquirer's). A call that
does not answer in time is not a failure of the payment: it stays pending, and a late
callback or the janitor's poll settles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import httpx

from services.payments.acquirer.settings import AcquirerSettings
from services.payments.acquirer.signing import verify

Outcome = Literal["captured", "declined", "pending"]


@dataclass(frozen=True)
class AcquirerAnswer:
    outcome: Outcome
    reason: str | None = None


PENDING = AcquirerAnswer("pending")


class Acquirer(Protocol):
    def pay(self, payment_id: str, amount_kopecks: int, card_token: str) -> AcquirerAnswer: ...

    def status(self, payment_id: str) -> AcquirerAnswer: ...

    def payout(self, payout_id: str, amount_kopecks: int, card_token: str) -> AcquirerAnswer: ...

    def payout_status(self, payout_id: str) -> AcquirerAnswer: ...

    def verify(self, body: bytes, signature: str | None) -> bool: ...


def answer_of(data: dict[str, object]) -> AcquirerAnswer:
    status = data.get("status")
    if status == "captured":
        return AcquirerAnswer("captured")
    if status == "declined":
        return AcquirerAnswer("declined", str(data.get("reason") or "declined"))
    return PENDING


class HttpAcquirer:
    def __init__(self, settings: AcquirerSettings) -> None:
        self.settings = settings
        self.client = httpx.Client(base_url=settings.base_url, timeout=settings.timeout)

    def pay(self, payment_id: str, amount_kopecks: int, card_token: str) -> AcquirerAnswer:
        return self._post("/v1/payments", payment_id, amount_kopecks, card_token)

    def payout(self, payout_id: str, amount_kopecks: int, card_token: str) -> AcquirerAnswer:
        return self._post("/v1/payouts", payout_id, amount_kopecks, card_token)

    def status(self, payment_id: str) -> AcquirerAnswer:
        return self._get(f"/v1/payments/{payment_id}")

    def payout_status(self, payout_id: str) -> AcquirerAnswer:
        return self._get(f"/v1/payouts/{payout_id}")

    def verify(self, body: bytes, signature: str | None) -> bool:
        return verify(self.settings.secret, body, signature)

    def _post(
        self, path: str, some_id: str, amount_kopecks: int, card_token: str
    ) -> AcquirerAnswer:
        body = {"payment_id": some_id, "amount_kopecks": amount_kopecks, "card_token": card_token}
        try:
            response = self.client.post(path, json=body)
        except httpx.HTTPError:
            return PENDING  # unknown outcome: a callback or the janitor will tell
        if response.status_code == 404:
            return AcquirerAnswer("declined", "unknown_card")
        if response.status_code != 200:
            return PENDING
        return answer_of(response.json())

    def _get(self, path: str) -> AcquirerAnswer:
        try:
            response = self.client.get(path)
        except httpx.HTTPError:
            return PENDING
        if response.status_code == 404:
            return AcquirerAnswer("declined", "not_received")
        if response.status_code != 200:
            return PENDING
        return answer_of(response.json())
