"""Payments use cases: load → call → save, every money movement idempotent."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from contracts.account import SubscriberActivated
from kabinet import consistency
from kabinet.domain import Conflict, NotFound, stable_id
from kabinet.effects import UnitOfWork
from kabinet.eventstore import KabinetApplication, position_of
from kabinet.idempotency import IdempotencyRecord, request_fingerprint
from kabinet.money import format_rub
from services.payments.domain import Balance

MAX_ATTEMPTS = 50


class PaymentsApplication(KabinetApplication):
    name = "payments"

    def balance(self, msisdn: str) -> Balance:
        try:
            found: Balance = self.repository.get(Balance.id_for(msisdn))
        except AggregateNotFoundError:
            raise NotFound(f"no subscriber with number {msisdn}", field="msisdn") from None
        return found

    def on_subscriber_activated(self, uow: UnitOfWork, event: SubscriberActivated) -> None:
        if uow.find(Balance.id_for(event.msisdn)) is None:
            uow.add(Balance.open(event.msisdn))

    def _idempotency_record(self, scope: str, key: str) -> IdempotencyRecord | None:
        try:
            record: IdempotencyRecord = self.repository.get(IdempotencyRecord.id_for(scope, key))
        except AggregateNotFoundError:
            return None
        return record

    def top_up(self, msisdn: str, amount_kopecks: int, key: str) -> dict[str, Any]:
        """A card top-up; the same key and body give the first answer again."""
        scope = f"topup:{msisdn}"
        fingerprint = request_fingerprint({"amount_kopecks": amount_kopecks})
        for _ in range(MAX_ATTEMPTS):
            existing = self._idempotency_record(scope, key)
            if existing is not None:
                return self._with_token(existing.replay(fingerprint))
            balance = self.balance(msisdn)
            payment_id = str(stable_id("payment", msisdn, key))
            balance.top_up(payment_id, amount_kopecks)
            response = {
                "payment_id": payment_id,
                "msisdn": msisdn,
                "amount": format_rub(amount_kopecks),
                "balance": format_rub(balance.kopecks),
                "ledger_version": balance.version,
            }
            record = IdempotencyRecord.record(scope, key, fingerprint, 201, response)
            try:
                self.save(balance, record)
            except IntegrityError:
                continue  # a concurrent write won: look again
            return self._with_token(response)
        raise Conflict("the balance is busy, try again", field="msisdn")

    def _with_token(self, response: dict[str, Any]) -> dict[str, Any]:
        balance_id = Balance.id_for(response["msisdn"])
        position = position_of(self, balance_id, response["ledger_version"])
        return {**response, "consistency_token": consistency.encode({"payments": position})}
