"""Payments use cases: load → call → save, every money movement idempotent.

Money commands run once per Idempotency-Key through `kabinet.idempotency`: a refusal
naming a rule (`PaymentsError`) is kept under its key, so a retry is refused identically,
and an answer carries the consistency token of the ledger events it wrote.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording

from contracts.account import SubscriberActivated
from contracts.detailing import ChargeIncurred
from kabinet import consistency
from kabinet.clock import Clock, SystemClock
from kabinet.domain import Conflict, NotFound, stable_id
from kabinet.effects import UnitOfWork
from kabinet.eventstore import KabinetApplication, position_of
from kabinet.idempotency import IdempotentCommands
from kabinet.money import format_rub
from services.payments.domain import Balance
from services.payments.rules import LOYALTY_POINT_KOPECKS, PaymentsError, TransferPolicy
from services.payments.watch import Watchlist

BUSY = "the balance is busy, try again"
LEDGERS = "_ledgers"
"""Internal part of a stored answer: the ledger versions it wrote (for the token)."""


class PaymentsApplication(KabinetApplication):
    name = "payments"
    retry_attempts = 50

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        clock: Clock | None = None,
        transfers: TransferPolicy | None = None,
    ) -> None:
        super().__init__(env=env)
        self.clock: Clock = clock or SystemClock()
        self.transfers = transfers or TransferPolicy()
        self.open_promises = Watchlist(self, Balance.PromisedPaymentGranted)
        self.idempotent = IdempotentCommands(
            self, kept=PaymentsError, busy=BUSY, saved=self._saved_answer, replayed=self._with_token
        )

    # -- reads ---------------------------------------------------------------------------

    def cached_balance(self, msisdn: str) -> Balance | None:
        """A read-only view from the trusted cache, if there (see `peek`)."""
        found: Balance | None = self.peek(Balance.id_for(msisdn))
        return found

    def balance(self, msisdn: str, *, field: str = "msisdn") -> Balance:
        try:
            found: Balance = self.repository.get(Balance.id_for(msisdn))
        except AggregateNotFoundError:
            raise NotFound(f"no subscriber with number {msisdn}", field=field) from None
        return found

    # -- consumed events -----------------------------------------------------------------

    def on_subscriber_activated(self, uow: UnitOfWork, event: SubscriberActivated) -> None:
        if uow.find(Balance.id_for(event.msisdn)) is None:
            uow.add(Balance.open(event.msisdn, at=event.occurred_at))

    def on_charge_incurred(self, uow: UnitOfWork, event: ChargeIncurred) -> None:
        """Detailing decided a charge; debit it once (a charge id seen before is skipped).

        A charge may arrive before the number's activation (the streams are separate),
        so it opens the ledger if need be.
        """
        balance = uow.find(Balance.id_for(event.msisdn))
        if balance is None:
            balance = Balance.open(event.msisdn, at=event.occurred_at)
        cause = str(event.event_id)
        balance.apply_charge(
            event.charge_id, event.kind, event.amount_kopecks, cause, self.clock.now()
        )
        uow.add(balance)

    # -- commands ------------------------------------------------------------------------

    def top_up(self, msisdn: str, amount_kopecks: int, key: str) -> dict[str, Any]:
        """Money captured from a card; the same key and body give the first answer again."""

        def attempt() -> tuple[list[Aggregate], dict[str, Any]]:
            balance = self.balance(msisdn)
            payment_id = str(stable_id("payment", msisdn, key))
            balance.top_up(payment_id, amount_kopecks, self.clock.now())
            return [balance], {
                "payment_id": payment_id,
                "msisdn": msisdn,
                "amount": format_rub(amount_kopecks),
                "balance": format_rub(balance.kopecks),
                LEDGERS: {msisdn: balance.version},
            }

        body = {"amount_kopecks": amount_kopecks}
        return self.idempotent(f"topup:{msisdn}", key, body, attempt)

    def grant_promise(self, msisdn: str, amount_kopecks: int, key: str) -> dict[str, Any]:
        def attempt() -> tuple[list[Aggregate], dict[str, Any]]:
            balance = self.balance(msisdn)
            promise_id = str(stable_id("promise", msisdn, key))
            balance.grant_promise(promise_id, amount_kopecks, self.clock.now())
            assert balance.promise is not None
            return [balance], {
                "promise_id": promise_id,
                "msisdn": msisdn,
                "amount": format_rub(amount_kopecks),
                "due_at": balance.promise.due_at.isoformat(),
                **self.money_view(balance),
                LEDGERS: {msisdn: balance.version},
            }

        body = {"amount_kopecks": amount_kopecks}
        return self.idempotent(f"promise:{msisdn}", key, body, attempt)

    def transfer(self, msisdn: str, to: str, amount_kopecks: int, key: str) -> dict[str, Any]:
        """Both ledgers change in one save, or neither does."""

        def attempt() -> tuple[list[Aggregate], dict[str, Any]]:
            sender = self.balance(msisdn)
            receiver = self.balance(to, field="to")
            transfer_id = str(stable_id("transfer", msisdn, key))
            sender.send_transfer(
                transfer_id, receiver, amount_kopecks, self.transfers, self.clock.now()
            )
            fee = self.transfers.fee_for(amount_kopecks)
            return [sender, receiver], {
                "transfer_id": transfer_id,
                "msisdn": msisdn,
                "to": to,
                "amount": format_rub(amount_kopecks),
                "fee": format_rub(fee),
                "balance": format_rub(sender.kopecks),
                LEDGERS: {msisdn: sender.version, to: receiver.version},
            }

        body = {"to": to, "amount_kopecks": amount_kopecks}
        return self.idempotent(f"transfer:{msisdn}", key, body, attempt)

    def redeem_points(self, msisdn: str, points: int, key: str) -> dict[str, Any]:
        def attempt() -> tuple[list[Aggregate], dict[str, Any]]:
            balance = self.balance(msisdn)
            redemption_id = str(stable_id("loyalty", msisdn, key))
            balance.redeem_points(redemption_id, points, self.clock.now())
            return [balance], {
                "redemption_id": redemption_id,
                "msisdn": msisdn,
                "points": points,
                "points_balance": balance.points,
                "amount": format_rub(points * LOYALTY_POINT_KOPECKS),
                "balance": format_rub(balance.kopecks),
                LEDGERS: {msisdn: balance.version},
            }

        return self.idempotent(f"loyalty:{msisdn}", key, {"points": points}, attempt)

    def set_alert_level(self, msisdn: str, level_kopecks: int | None) -> dict[str, Any]:
        def set_level(balance: Balance) -> bool:
            balance.set_alert_level(level_kopecks, self.clock.now())
            return True

        self.change_balance(msisdn, set_level, "level")
        return self.alert_view(msisdn)

    def alert_view(self, msisdn: str) -> dict[str, Any]:
        level = self.balance(msisdn).alert_level
        return {"msisdn": msisdn, "level": None if level is None else format_rub(level)}

    def expire_due_promises(self) -> int:
        """The due-term sweeper: withdraw the unpaid credit of every promise past its term."""
        now = self.clock.now()

        def expire(balance_id: UUID) -> bool:
            balance: Balance = self.repository.get(balance_id)
            if balance.promise is None:
                self.open_promises.discard(balance_id)
                return False
            if not balance.expire_promise(now):
                return False
            self.save(balance)  # a charge or top-up that came first makes it look again
            self.open_promises.discard(balance_id)
            return True

        expired = 0
        for balance_id in self.open_promises.refresh():
            with contextlib.suppress(Conflict):  # busy all along: the next sweep sees it
                expired += self.retrying(partial(expire, balance_id), busy=BUSY, field=None)
        return expired

    # -- mechanics -----------------------------------------------------------------------

    def change_balance(self, msisdn: str, command: Callable[[Balance], bool], field: str) -> bool:
        """Load the ledger, apply `command`, save unless it answers False (nothing to do);
        whether it saved. A concurrent write to the ledger makes it load again."""

        def attempt() -> bool:
            balance = self.balance(msisdn)
            if not command(balance):
                return False
            self.save(balance)
            return True

        return self.retrying(attempt, busy=BUSY, field=field)

    @staticmethod
    def money_view(balance: Balance) -> dict[str, str]:
        return {
            "balance": format_rub(balance.kopecks),
            "promised_credit": format_rub(balance.credit),
            "available": format_rub(balance.available),
        }

    def _saved_answer(
        self, response: dict[str, Any], recordings: list[Recording[UUID]]
    ) -> dict[str, Any]:
        """A fresh answer, with the token of the ledger events its save stored."""
        ledgers = {Balance.id_for(m) for m in response.get(LEDGERS, {})}
        positions = [
            r.notification.id for r in recordings if r.domain_event.originator_id in ledgers
        ]
        answer = self._with_token({**response, LEDGERS: {}})
        if positions:
            answer["consistency_token"] = consistency.encode({"payments": max(positions)})
        return answer

    def _with_token(self, response: dict[str, Any]) -> dict[str, Any]:
        """The answer without its internal parts, with the token of the ledgers it wrote."""
        ledgers: dict[str, int] = response.get(LEDGERS) or {}
        if "ledger_version" in response:  # answers stored before ledgers were named
            ledgers = {response["msisdn"]: response["ledger_version"]}
        answer = {k: v for k, v in response.items() if k not in (LEDGERS, "ledger_version")}
        if ledgers:
            answer["consistency_token"] = self.token_of(ledgers)
        return answer

    def token_of(self, ledgers: dict[str, int]) -> str:
        positions = [position_of(self, Balance.id_for(m), v) for m, v in ledgers.items()]
        return consistency.encode({"payments": max(positions)})
