"""A card top-up: started, then captured (money posted to the ledger) or declined."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from kabinet.domain import Conflict, KabinetAggregate, stable_id
from services.payments.domain import Balance
from services.payments.rules import check_top_up

Status = Literal["pending", "captured", "declined"]


class CardTopUp(KabinetAggregate):
    class Started(KabinetAggregate.Created):
        msisdn: str
        amount_kopecks: int
        card_token: str

    class Captured(KabinetAggregate.Event):
        ledger_version: int
        balance_kopecks: int

        def apply(self, top_up: CardTopUp) -> None:
            top_up.status = "captured"
            top_up.ledger_version, top_up.balance_kopecks = (
                self.ledger_version,
                self.balance_kopecks,
            )

    class Declined(KabinetAggregate.Event):
        reason: str

        def apply(self, top_up: CardTopUp) -> None:
            top_up.status, top_up.reason = "declined", self.reason

    def __init__(self, msisdn: str, amount_kopecks: int, card_token: str) -> None:
        self.msisdn = msisdn
        self.amount_kopecks = amount_kopecks
        self.card_token = card_token
        self.status: Status = "pending"
        self.reason: str | None = None
        self.ledger_version = 0
        self.balance_kopecks = 0

    @staticmethod
    def id_for(msisdn: str, key: str) -> UUID:
        return stable_id("card-topup", msisdn, key)

    @classmethod
    def start(
        cls, msisdn: str, key: str, amount_kopecks: int, card_token: str, at: datetime
    ) -> CardTopUp:
        check_top_up(amount_kopecks)
        return cls._create(
            cls.Started,
            id=cls.id_for(msisdn, key),
            msisdn=msisdn,
            amount_kopecks=amount_kopecks,
            card_token=card_token,
            timestamp=at,
        )

    @property
    def payment_id(self) -> str:
        return str(self.id)

    def capture(self, amount_kopecks: int, ledger: Balance, at: datetime) -> None:
        """Captured: the money is posted to the ledger in the same save."""
        if amount_kopecks != self.amount_kopecks:
            raise Conflict("the captured amount differs from the top-up", field="amount_kopecks")
        ledger.top_up(self.payment_id, self.amount_kopecks, at)
        self.trigger_event(
            self.Captured, ledger_version=ledger.version, balance_kopecks=ledger.kopecks
        )

    def decline(self, reason: str) -> None:
        self.trigger_event(self.Declined, reason=reason)
