"""Account's domain events → its public events (used by the outbox relay)."""

from __future__ import annotations

from typing import Any

from contracts import account as public
from contracts.envelope import Envelope
from kabinet.relay import envelope_fields
from services.account.domain import Subscriber


def to_public(event: Any, position: int) -> Envelope | None:
    base = envelope_fields(event, position, "account")
    if isinstance(event, Subscriber.Activated):
        return public.SubscriberActivated(
            **base,
            msisdn=event.msisdn,
            owner_name=event.owner_name,
            region=event.region,
            tariff_id=event.tariff_id,
            email=event.email,
            activated_by=event.actor,
        )
    return None
