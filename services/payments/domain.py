"""The balance ledger of one subscriber: every movement is an event with its cause."""

from __future__ import annotations

from uuid import UUID

from kabinet.domain import KabinetAggregate, KabinetError, stable_id

TOPUP_MIN_KOPECKS = 10_00
TOPUP_MAX_KOPECKS = 15_000_00


class PaymentsError(KabinetError):
    pass


class Balance(KabinetAggregate):
    class Opened(KabinetAggregate.Created):
        msisdn: str

    class PaymentPosted(KabinetAggregate.Event):
        msisdn: str
        payment_id: str
        method: str
        amount_kopecks: int
        balance_kopecks: int

        def apply(self, balance: Balance) -> None:
            balance.kopecks += self.amount_kopecks
            balance.last_payment_id = self.payment_id

    def __init__(self, msisdn: str) -> None:
        self.msisdn = msisdn
        self.kopecks = 0
        self.last_payment_id: str | None = None

    @staticmethod
    def id_for(msisdn: str) -> UUID:
        return stable_id("balance", msisdn)

    @classmethod
    def open(cls, msisdn: str) -> Balance:
        return cls._create(cls.Opened, id=cls.id_for(msisdn), msisdn=msisdn)

    def top_up(self, payment_id: str, amount_kopecks: int) -> None:
        if not TOPUP_MIN_KOPECKS <= amount_kopecks <= TOPUP_MAX_KOPECKS:
            raise PaymentsError("a top-up must be between 10.00 and 15000.00 RUB", field="amount")
        self.trigger_event(
            self.PaymentPosted,
            msisdn=self.msisdn,
            payment_id=payment_id,
            method="card",
            amount_kopecks=amount_kopecks,
            balance_kopecks=self.kopecks + amount_kopecks,
        )
