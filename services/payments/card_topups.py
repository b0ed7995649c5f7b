"""Card top-ups through the acquirer: start, settle from the answer, a callback or a poll.

Starting saves a pending top-up with its idempotency record; the acquirer is called
outside any transaction; whichever of the answer, a (late or repeated) callback or the
janitor's poll comes first settles the top-up — capturing it posts the money to the
ledger in the same save — and the others find it settled and change nothing.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError

from kabinet.domain import KabinetError, NotFound
from kabinet.money import format_rub
from services.payments.acquiring import Acquirer, AcquirerAnswer, answer_of
from services.payments.application import BUSY, PaymentsApplication
from services.payments.rules import CardDeclined
from services.payments.topups import CardTopUp
from services.payments.watch import Watchlist

log = structlog.get_logger("payments.cards")


class BadSignature(KabinetError):
    status = 401


class CardTopUps:
    def __init__(self, app: PaymentsApplication, acquirer: Acquirer) -> None:
        self.app = app
        self.acquirer = acquirer
        self.pending = Watchlist(app, CardTopUp.Started)

    def start(self, msisdn: str, amount_kopecks: int, card_token: str, key: str) -> tuple[int, Any]:
        def attempt() -> tuple[list[Any], dict[str, Any]]:
            self.app.balance(msisdn)
            top_up = CardTopUp.start(msisdn, key, amount_kopecks, card_token, self.app.clock.now())
            return [top_up], {"payment_id": top_up.payment_id, "msisdn": msisdn}

        body = {"amount_kopecks": amount_kopecks, "card_token": card_token}
        first = self.app.idempotent(f"topup:{msisdn}", key, body, attempt)
        top_up = self._get(UUID(first["payment_id"]))
        if top_up.status == "pending":
            self.settle(top_up.id, self.acquirer.pay(top_up.payment_id, amount_kopecks, card_token))
        return self.answer(top_up.id)

    def settle(self, top_up_id: UUID, answer: AcquirerAnswer, amount: int | None = None) -> bool:
        """Apply a final answer once; False if it is not final or the top-up was settled."""
        if answer.outcome == "pending":
            return False

        def attempt() -> bool:
            top_up = self._get(top_up_id)
            if top_up.status != "pending":
                return False
            changed: list[Any] = [top_up]
            if answer.outcome == "captured":
                ledger = self.app.balance(top_up.msisdn)
                top_up.capture(amount or top_up.amount_kopecks, ledger, self.app.clock.now())
                changed.append(ledger)
            else:
                top_up.decline(answer.reason or "declined")
            self.app.save(*changed)  # refused if the ledger moved meanwhile: look again
            self.pending.discard(top_up_id)
            return True

        return self.app.retrying(attempt, busy=BUSY, field="payment_id")

    def answer(self, top_up_id: UUID) -> tuple[int, Any]:
        """The top-up's answer: 201 captured, 202 pending; a decline is a 402 problem."""
        top_up = self._get(top_up_id)
        view = {
            "payment_id": top_up.payment_id,
            "msisdn": top_up.msisdn,
            "amount": format_rub(top_up.amount_kopecks),
            "status": "succeeded" if top_up.status == "captured" else top_up.status,
        }
        if top_up.status == "declined":
            raise CardDeclined(
                f"the card was declined ({top_up.reason})", field="card_token", rule="card_declined"
            )
        if top_up.status == "pending":
            return 202, view
        token = self.app.token_of({top_up.msisdn: top_up.ledger_version})
        balance = format_rub(top_up.balance_kopecks)
        return 201, {**view, "balance": balance, "consistency_token": token}

    def on_callback(self, body: bytes, signature: str | None) -> bool:
        """A signed notice from the acquirer; a bad signature changes nothing and is logged."""
        if not self.acquirer.verify(body, signature):
            log.warning("acquirer_callback_bad_signature", size=len(body))
            raise BadSignature("the callback signature does not verify", field="signature")
        try:
            data = json.loads(body)
            top_up_id = UUID(str(data["payment_id"]))
            amount = int(data["amount_kopecks"])
        except (ValueError, KeyError, TypeError):
            raise KabinetError("the callback is not a payment notice", field="body") from None
        settled = self.settle(top_up_id, answer_of(data), amount)
        log.info("acquirer_callback", payment_id=str(top_up_id), settled=settled)
        return settled

    def settle_pending(self) -> int:
        """The janitor: ask the acquirer about every top-up still pending."""
        settled = 0
        for top_up_id in self.pending.refresh():
            top_up = self._get(top_up_id)
            if top_up.status != "pending":
                self.pending.discard(top_up_id)
                continue
            settled += self.settle(top_up_id, self.acquirer.status(top_up.payment_id))
        return settled

    def _get(self, top_up_id: UUID) -> CardTopUp:
        try:
            found: CardTopUp = self.app.repository.get(top_up_id)
        except AggregateNotFoundError:
            raise NotFound("no such top-up", field="payment_id") from None
        if not isinstance(found, CardTopUp):
            raise NotFound("no such top-up", field="payment_id")
        return found
