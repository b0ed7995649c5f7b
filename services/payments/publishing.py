"""Payments' domain events → its public events: the table the outbox relay maps by.

Fields named alike on both sides are copied; the overrides are a transfer received
(published as a `PaymentPosted` by transfer), the card token's contract name
(`card_token_id`), a withdrawal's outcome and a redemption's reward. The internal events
are the ledger's settings, the autopay request, the card top-up's states and the
idempotency records.
"""

from __future__ import annotations

from uuid import UUID

from contracts import payments as public
from kabinet.idempotency import IdempotencyRecord
from kabinet.publishing import Publishing, Rule
from services.payments.domain import Balance
from services.payments.topups import CardTopUp


def _charge_event_id(event: Balance.ChargeApplied) -> UUID | None:
    return UUID(event.charge_event_id) if event.charge_event_id else None


to_public = Publishing(
    "payments",
    {
        Balance.Opened: Rule(public.BalanceOpened),
        Balance.PaymentPosted: Rule(public.PaymentPosted),
        Balance.ChargeApplied: Rule(
            public.ChargeApplied, compute={"charge_event_id": _charge_event_id}
        ),
        Balance.TransferSent: Rule(public.TransferCompleted),
        Balance.TransferReceived: Rule(
            public.PaymentPosted, rename={"payment_id": "transfer_id"}, const={"method": "transfer"}
        ),
        Balance.PromisedPaymentGranted: Rule(public.PromisedPaymentGranted),
        Balance.PromisedPaymentRepaid: Rule(public.PromisedPaymentRepaid),
        Balance.PromisedPaymentOverdue: Rule(public.PromisedPaymentOverdue),
        Balance.WithdrawalHeld: Rule(
            public.WithdrawalRequested, rename={"card_token_id": "card_token"}
        ),
        Balance.WithdrawalPaid: Rule(public.WithdrawalCompleted, const={"outcome": "paid"}),
        Balance.WithdrawalReturned: Rule(public.WithdrawalCompleted, const={"outcome": "rejected"}),
        Balance.LoyaltyPointsEarned: Rule(public.LoyaltyPointsEarned),
        Balance.LoyaltyPointsRedeemed: Rule(
            public.LoyaltyPointsRedeemed,
            rename={"reward_id": "redemption_id"},
            const={"reward": "balance"},
        ),
        Balance.AutopayTriggered: Rule(
            public.AutopayTriggered, rename={"card_token_id": "card_token"}
        ),
        Balance.LowBalanceReached: Rule(public.LowBalanceReached),
        Balance.BalanceExhausted: Rule(public.BalanceExhausted),
    },
    internal={
        Balance.AlertLevelSet,
        Balance.AutopayConfigured,
        Balance.AutopayCancelled,
        Balance.AutopayRequested,
        CardTopUp.Started,
        CardTopUp.Captured,
        CardTopUp.Declined,
        IdempotencyRecord.Recorded,
    },
    sequenced=True,
)
"""The relay's mapper of payments (`kabinet.relay.EventMapper`)."""
