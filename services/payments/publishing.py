"""Payments' domain events → its public events (used by the outbox relay)."""

from __future__ import annotations

from typing import Any

from contracts import payments as public
from contracts.envelope import Envelope
from kabinet.relay import envelope_fields
from services.payments.domain import Balance


def to_public(event: Any, position: int) -> Envelope | None:
    base = envelope_fields(event, position, "payments")
    if isinstance(event, Balance.Opened):
        return public.BalanceOpened(**base, msisdn=event.msisdn, sequence=event.originator_version)
    if isinstance(event, Balance.PaymentPosted):
        return public.PaymentPosted(
            **base,
            msisdn=event.msisdn,
            sequence=event.originator_version,
            payment_id=event.payment_id,
            method=event.method,  # type: ignore[arg-type]
            amount_kopecks=event.amount_kopecks,
            balance_kopecks=event.balance_kopecks,
        )
    return None
