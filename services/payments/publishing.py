"""Payments' domain events → its public events (used by the outbox relay)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from contracts import payments as public
from contracts.envelope import Envelope
from kabinet.relay import envelope_fields
from services.payments.domain import Balance


def to_public(event: Any, position: int) -> Envelope | None:
    msisdn: str | None = getattr(event, "msisdn", None)
    if not isinstance(event, Balance.Opened | Balance.Event) or msisdn is None:
        return None  # internal: idempotency records, top-up states, settings of the ledger
    base = {
        **envelope_fields(event, position, "payments"),
        "msisdn": msisdn,
        "sequence": event.originator_version,
    }
    if isinstance(event, Balance.Opened):
        return public.BalanceOpened(**base)
    if isinstance(event, Balance.PaymentPosted):
        return public.PaymentPosted(
            **base,
            payment_id=event.payment_id,
            method=event.method,  # type: ignore[arg-type]
            amount_kopecks=event.amount_kopecks,
            balance_kopecks=event.balance_kopecks,
        )
    if isinstance(event, Balance.ChargeApplied):
        return public.ChargeApplied(
            **base,
            charge_id=event.charge_id,
            kind=event.kind,  # type: ignore[arg-type]
            amount_kopecks=event.amount_kopecks,
            balance_kopecks=event.balance_kopecks,
            charge_event_id=UUID(event.charge_event_id) if event.charge_event_id else None,
        )
    if isinstance(event, Balance.TransferSent):
        return public.TransferCompleted(
            **base,
            transfer_id=event.transfer_id,
            to_msisdn=event.to_msisdn,
            amount_kopecks=event.amount_kopecks,
            fee_kopecks=event.fee_kopecks,
            balance_kopecks=event.balance_kopecks,
        )
    if isinstance(event, Balance.TransferReceived):
        return public.PaymentPosted(
            **base,
            payment_id=event.transfer_id,
            method="transfer",
            amount_kopecks=event.amount_kopecks,
            balance_kopecks=event.balance_kopecks,
            from_msisdn=event.from_msisdn,
        )
    return _promise_or_exhaustion(event, base)


def _promise_or_exhaustion(event: Any, base: dict[str, Any]) -> Envelope | None:
    if isinstance(event, Balance.PromisedPaymentGranted):
        return public.PromisedPaymentGranted(
            **base,
            promise_id=event.promise_id,
            amount_kopecks=event.amount_kopecks,
            term_days=event.term_days,
            due_at=event.due_at,
            balance_kopecks=event.balance_kopecks,
        )
    if isinstance(event, Balance.PromisedPaymentRepaid):
        return public.PromisedPaymentRepaid(
            **base,
            promise_id=event.promise_id,
            amount_kopecks=event.amount_kopecks,
            trigger=event.trigger,  # type: ignore[arg-type]
            payment_id=event.payment_id,
            balance_kopecks=event.balance_kopecks,
        )
    if isinstance(event, Balance.PromisedPaymentOverdue):
        return public.PromisedPaymentOverdue(
            **base,
            promise_id=event.promise_id,
            outstanding_kopecks=event.outstanding_kopecks,
            due_at=event.due_at,
            balance_kopecks=event.balance_kopecks,
        )
    if isinstance(event, Balance.WithdrawalHeld):
        return public.WithdrawalRequested(
            **base,
            withdrawal_id=event.withdrawal_id,
            amount_kopecks=event.amount_kopecks,
            card_token_id=event.card_token,
            card_last4=event.card_last4,
            balance_kopecks=event.balance_kopecks,
        )
    if isinstance(event, Balance.WithdrawalPaid | Balance.WithdrawalReturned):
        paid = isinstance(event, Balance.WithdrawalPaid)
        return public.WithdrawalCompleted(
            **base,
            withdrawal_id=event.withdrawal_id,
            outcome="paid" if paid else "rejected",
            amount_kopecks=event.amount_kopecks,
            balance_kopecks=event.balance_kopecks,
        )
    if isinstance(event, Balance.LoyaltyPointsEarned):
        return public.LoyaltyPointsEarned(
            **base,
            points=event.points,
            points_balance=event.points_balance,
            reason=event.reason,  # type: ignore[arg-type]
            source_id=event.source_id,
        )
    if isinstance(event, Balance.LoyaltyPointsRedeemed):
        return public.LoyaltyPointsRedeemed(
            **base,
            points=event.points,
            points_balance=event.points_balance,
            reward="balance",
            reward_id=event.redemption_id,
            amount_kopecks=event.amount_kopecks,
        )
    if isinstance(event, Balance.AutopayTriggered):
        return public.AutopayTriggered(
            **base,
            autopay_id=event.autopay_id,
            outcome=event.outcome,  # type: ignore[arg-type]
            threshold_kopecks=event.threshold_kopecks,
            amount_kopecks=event.amount_kopecks,
            month_total_kopecks=event.month_total_kopecks,
            monthly_cap_kopecks=event.monthly_cap_kopecks,
            card_token_id=event.card_token,
            card_last4=event.card_last4,
            payment_id=event.payment_id,
            balance_kopecks=event.balance_kopecks,
        )
    if isinstance(event, Balance.LowBalanceReached):
        return public.LowBalanceReached(
            **base,
            level_kopecks=event.level_kopecks,
            balance_kopecks=event.balance_kopecks,
            charge_id=event.charge_id,
        )
    if isinstance(event, Balance.BalanceExhausted):
        return public.BalanceExhausted(
            **base,
            balance_kopecks=event.balance_kopecks,
            available_kopecks=event.available_kopecks,
            charge_id=event.charge_id,
        )
    return None
