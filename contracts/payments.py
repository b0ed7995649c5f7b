"""Events published by the payments service (stream PAYMENTS).

Only payments changes a balance; `balance_kopecks` is the balance after the event.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, NonNegativeInt, PositiveInt

from contracts.envelope import Envelope
from contracts.fields import ChargeKind, Msisdn

CardLast4 = Annotated[str, Field(pattern=r"^\d{4}$", description="Masked card: last 4 digits.")]


class PaymentsEvent(Envelope):
    PRODUCER: ClassVar[str] = "payments"
    producer: Literal["payments"] = "payments"
    msisdn: Msisdn
    sequence: int = Field(ge=1, description="Version of the subscriber's ledger: per-number order.")


class BalanceOpened(PaymentsEvent):
    """Payments opened a balance for a newly activated number."""

    type: Literal["BalanceOpened"] = "BalanceOpened"


class PaymentPosted(PaymentsEvent):
    """Money arrived on the balance (card top-up and other incoming payments)."""

    type: Literal["PaymentPosted"] = "PaymentPosted"
    payment_id: str
    method: Literal["card", "transfer", "promised", "autopay", "loyalty", "correction"] = "card"
    amount_kopecks: int = Field(gt=0)
    balance_kopecks: int
    card_token_id: str | None = None
    card_last4: CardLast4 | None = None
    from_msisdn: Msisdn | None = Field(default=None, description="The sender of a transfer.")


class ChargeApplied(PaymentsEvent):
    """A charge decided by detailing (its ChargeIncurred) was debited."""

    type: Literal["ChargeApplied"] = "ChargeApplied"
    charge_id: str
    kind: ChargeKind
    amount_kopecks: PositiveInt
    balance_kopecks: int
    charge_event_id: UUID | None = Field(default=None, description="The ChargeIncurred event.")


class PromisedPaymentGranted(PaymentsEvent):
    """Credit while the balance is low, to be repaid within `term_days`."""

    type: Literal["PromisedPaymentGranted"] = "PromisedPaymentGranted"
    promise_id: str
    amount_kopecks: PositiveInt
    fee_kopecks: NonNegativeInt = 0
    term_days: PositiveInt
    due_at: AwareDatetime
    balance_kopecks: int


class PromisedPaymentRepaid(PaymentsEvent):
    """Repaid from the next top-up, or debited when its term ended."""

    type: Literal["PromisedPaymentRepaid"] = "PromisedPaymentRepaid"
    promise_id: str
    amount_kopecks: PositiveInt
    trigger: Literal["topup", "term_end"]
    payment_id: str | None = Field(default=None, description="The top-up that repaid it.")
    balance_kopecks: int


class PromisedPaymentOverdue(PaymentsEvent):
    """The term ended and the balance did not cover the debt in full."""

    type: Literal["PromisedPaymentOverdue"] = "PromisedPaymentOverdue"
    promise_id: str
    outstanding_kopecks: PositiveInt
    due_at: AwareDatetime
    balance_kopecks: int


class AutopayTriggered(PaymentsEvent):
    """The balance fell below the subscriber's minimum; a card payment was attempted."""

    type: Literal["AutopayTriggered"] = "AutopayTriggered"
    autopay_id: str
    outcome: Literal["succeeded", "declined", "monthly_cap_reached", "card_expired"]
    threshold_kopecks: NonNegativeInt
    amount_kopecks: PositiveInt
    month_total_kopecks: NonNegativeInt
    monthly_cap_kopecks: PositiveInt
    card_token_id: str
    card_last4: CardLast4
    payment_id: str | None = None
    balance_kopecks: int


class TransferCompleted(PaymentsEvent):
    """Money left this number for another; the receiver gets a PaymentPosted (transfer)."""

    type: Literal["TransferCompleted"] = "TransferCompleted"
    transfer_id: str
    to_msisdn: Msisdn
    amount_kopecks: PositiveInt
    fee_kopecks: NonNegativeInt = 0
    balance_kopecks: int


class WithdrawalRequested(PaymentsEvent):
    """Money to be paid out to a card is held on the balance."""

    type: Literal["WithdrawalRequested"] = "WithdrawalRequested"
    withdrawal_id: str
    amount_kopecks: PositiveInt
    fee_kopecks: NonNegativeInt = 0
    card_token_id: str
    card_last4: CardLast4
    balance_kopecks: int


class WithdrawalCompleted(PaymentsEvent):
    """The payout finished; a rejected one returns the held money to the balance."""

    type: Literal["WithdrawalCompleted"] = "WithdrawalCompleted"
    withdrawal_id: str
    outcome: Literal["paid", "rejected"]
    amount_kopecks: PositiveInt
    balance_kopecks: int


class BalanceExhausted(PaymentsEvent):
    """The balance fell to or below the threshold (zero unless a credit limit applies)."""

    type: Literal["BalanceExhausted"] = "BalanceExhausted"
    balance_kopecks: int
    threshold_kopecks: int = 0
    charge_id: str | None = Field(default=None, description="The charge that exhausted it.")
    available_kopecks: int | None = Field(
        default=None, description="Balance plus open promised credit, after the event."
    )


class LowBalanceReached(PaymentsEvent):
    """A charge took the balance below the level the subscriber asked to be told about."""

    type: Literal["LowBalanceReached"] = "LowBalanceReached"
    level_kopecks: PositiveInt
    balance_kopecks: int
    charge_id: str


class LoyaltyPointsEarned(PaymentsEvent):
    """Loyalty points were credited; for a card top-up in the same save as its money.

    `points_balance` is the subscriber's points after the event: the points are the fold
    of LoyaltyPointsEarned and LoyaltyPointsRedeemed.
    """

    type: Literal["LoyaltyPointsEarned"] = "LoyaltyPointsEarned"
    points: PositiveInt
    points_balance: NonNegativeInt
    reason: Literal["topup", "charge", "tenure", "bonus"]
    source_id: str | None = Field(default=None, description="Payment or charge id.")


class LoyaltyPointsRedeemed(PaymentsEvent):
    """Loyalty points were spent on a reward; `points_balance` is the points after it.

    A `balance` reward is credited by the PaymentPosted (method `loyalty`, `payment_id` =
    `reward_id`) published right after it.
    """

    type: Literal["LoyaltyPointsRedeemed"] = "LoyaltyPointsRedeemed"
    points: PositiveInt
    points_balance: NonNegativeInt
    reward: Literal["balance", "option", "partner"]
    reward_id: str | None = None
    amount_kopecks: NonNegativeInt = Field(default=0, description="Credited for 'balance'.")
