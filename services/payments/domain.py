"""The balance ledger of one subscriber: every movement is an event with its cause.

`Balance` is one aggregate per number, assembled from parts by concept, each in its own
module: money movements (`ledger`), promised payments and exhaustion (`promises`),
autopay, low-balance alerts, loyalty points, transfers and payouts. `kopecks` is the
subscriber's own money (it may go negative); `credit` is the unpaid part of an open
promised payment; available money is their sum.

Stored events are named after this class (`services.payments.domain:Balance.<Event>`),
so it stays here whatever module a part's events are written in.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, Self
from uuid import UUID

from kabinet.domain import KabinetAggregate, stable_id
from services.payments.loyalty import LoyaltyLedger
from services.payments.payouts import PayoutLedger
from services.payments.promises import Promise
from services.payments.rules import InsufficientFunds, PaymentsError
from services.payments.transfers import TransferLedger

__all__ = ["Balance", "InsufficientFunds", "PaymentsError", "Promise"]


class Balance(PayoutLedger, TransferLedger, LoyaltyLedger):
    class Opened(KabinetAggregate.Created):
        msisdn: str

    def __init__(self, msisdn: str) -> None:
        self.msisdn = msisdn
        self.kopecks = 0
        self.credit = 0
        self.promise: Promise | None = None
        self.last_payment_id: str | None = None
        self.topped_up_kopecks = 0
        self.charge_ids: dict[str, None] = {}
        self.transfer_day = ""
        self.transferred_today = 0
        self.exhausted = False
        self.withdrawals: dict[str, str] = {}
        self.points = 0
        self.earned_points = 0
        self.init_autopay()
        self.init_alerts()

    @staticmethod
    def id_for(msisdn: str) -> UUID:
        return stable_id("balance", msisdn)

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """The aggregate cache hands every command a deep copy. The recent charge ids (up
        to 1,000 strings, each mapped to None) hold nothing to copy one by one: the dict
        is copied whole, in C (a balance with 1,000 of them: ~400 → ~45 µs)."""
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        state = {k: v for k, v in self.__dict__.items() if k != "charge_ids"}
        clone.__dict__.update(copy.deepcopy(state, memo))
        clone.charge_ids = dict(self.charge_ids)
        return clone

    @classmethod
    def open(cls, msisdn: str, at: datetime | None = None) -> Balance:
        return cls._create(cls.Opened, id=cls.id_for(msisdn), msisdn=msisdn, timestamp=at)
