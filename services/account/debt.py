"""Suspension for debt: payments' BalanceExhausted suspends a number, a top-up that brings
the balance above zero lifts it. Both are account events by `system`, so every service
sees the status change and the subscriber's history tells why."""

from __future__ import annotations

from contracts.payments import BalanceExhausted, PaymentPosted
from kabinet.effects import UnitOfWork
from services.account.domain import Subscriber, Who

SYSTEM = Who("system", None, "system")


def on_balance_exhausted(uow: UnitOfWork, event: BalanceExhausted) -> None:
    subscriber: Subscriber | None = uow.find(Subscriber.id_for(event.msisdn))
    if subscriber is None or subscriber.status != "active":
        return  # unknown here, or already suspended for another reason
    subscriber.suspend("debt", SYSTEM, event.occurred_at)
    uow.add(subscriber)


def on_payment_posted(uow: UnitOfWork, event: PaymentPosted) -> None:
    seen: Subscriber | None = uow.peek(Subscriber.id_for(event.msisdn))  # most owe nothing
    if seen is None or (seen.suspension or {}).get("reason") != "debt":
        return
    if event.balance_kopecks > 0:
        subscriber: Subscriber = uow.get(seen.id)
        subscriber.resume(SYSTEM, event.occurred_at)
        uow.add(subscriber)
