"""Account's domain events → its public events (used by the outbox relay).

The PUK's hash stays in account's own store; no public event carries it.
"""

from __future__ import annotations

from typing import Any

from contracts import account as public
from contracts.envelope import Envelope
from kabinet.relay import envelope_fields
from services.account.domain import Subscriber


def _change(event: Any) -> dict[str, Any]:
    return {"actor": event.actor, "actor_id": event.actor_id, "channel": event.channel}


def _fee(event: Any) -> dict[str, Any]:
    return {
        "subscription_id": event.subscription_id,
        "provider": event.provider,
        "title": event.title,
        "fee_kopecks": event.fee_kopecks,
        "fee_period": event.fee_period,
    }


def to_public(event: Any, position: int) -> Envelope | None:  # noqa: PLR0911
    base = {**envelope_fields(event, position, "account"), "msisdn": event.msisdn}
    if isinstance(event, Subscriber.Activated):
        return public.SubscriberActivated(
            **base,
            owner_name=event.owner_name,
            region=event.region,
            tariff_id=event.tariff_id,
            email=event.email,
            iccid=getattr(event, "iccid", None),
            option_ids=getattr(event, "option_ids", None) or [],
            activated_by=event.actor,
        )
    if isinstance(event, Subscriber.ProfileUpdated):
        return public.ProfileUpdated(
            **base,
            **_change(event),
            changed=sorted(event.changed),  # type: ignore[arg-type]
            **event.changed,
        )
    if isinstance(event, Subscriber.TariffChanged):
        return public.TariffChanged(
            **base,
            **_change(event),
            from_tariff_id=event.from_tariff_id,
            to_tariff_id=event.to_tariff_id,
            fee_kopecks=event.fee_kopecks,
            effective_from=event.at,
        )
    if isinstance(event, Subscriber.OptionToggled):
        return public.OptionToggled(
            **base,
            **_change(event),
            option_id=event.option_id,
            enabled=event.enabled,
            fee_kopecks=event.fee_kopecks,
            recurring_fee_kopecks=event.recurring_fee_kopecks,
            fee_period=event.fee_period,  # type: ignore[arg-type]
        )
    if isinstance(event, Subscriber.Suspended):
        return public.ServiceSuspended(**base, **_change(event), reason=event.reason)  # type: ignore[arg-type]
    if isinstance(event, Subscriber.Resumed):
        return public.ServiceResumed(
            **base,
            **_change(event),
            reason=event.reason,  # type: ignore[arg-type]
            suspended_at=event.suspended_at,
        )
    return _lists(event, base)


def _lists(event: Any, base: dict[str, Any]) -> Envelope | None:
    if isinstance(event, Subscriber.NumberBlacklisted):
        return public.BlacklistNumberAdded(
            **base,
            **_change(event),
            number=event.number,
            region=event.region,
            daily_fee_kopecks=event.daily_fee_kopecks,
            add_fee_kopecks=event.add_fee_kopecks,
            numbers_listed=event.numbers_listed,
        )
    if isinstance(event, Subscriber.NumberUnblacklisted):
        return public.BlacklistNumberRemoved(
            **base,
            **_change(event),
            number=event.number,
            region=event.region,
            daily_fee_kopecks=event.daily_fee_kopecks,
            numbers_listed=event.numbers_listed,
        )
    if isinstance(event, Subscriber.SubscriptionAdded):
        return public.SubscriptionAdded(**base, **_change(event), **_fee(event))
    if isinstance(event, Subscriber.SubscriptionCancelled):
        return public.SubscriptionCancelled(**base, **_change(event), **_fee(event))
    if isinstance(event, Subscriber.QuestionAsked):
        return public.SupportQuestionAsked(
            **base, **_change(event), question_id=event.question_id, topic=event.topic
        )
    if isinstance(event, Subscriber.QuestionAnswered):
        return public.SupportQuestionAnswered(
            **base, **_change(event), question_id=event.question_id, asked_at=event.asked_at
        )
    return None
