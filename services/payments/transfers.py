"""The transfer rules: money to another number of the operator, within the per-transfer
and daily limits (`rules.TransferPolicy`); `Balance.send_transfer` changes both ledgers
in one save."""

from __future__ import annotations

from services.payments.rules import InsufficientFunds, PaymentsError, TransferPolicy


def transfer_fee(
    policy: TransferPolicy,
    amount_kopecks: int,
    *,
    to_self: bool,
    own_kopecks: int,
    sent_today: int,
) -> int:
    """The fee of a transfer the sender may make, or the rule that refuses it."""
    if to_self:
        raise PaymentsError("a transfer needs another number", field="to", rule="transfer_self")
    if not policy.min_kopecks <= amount_kopecks <= policy.max_kopecks:
        raise PaymentsError(
            f"a transfer must be between {policy.min_kopecks / 100:.2f} and "
            f"{policy.max_kopecks / 100:.2f} RUB",
            field="amount",
            rule="transfer_limit",
        )
    if sent_today + amount_kopecks > policy.daily_kopecks:
        raise PaymentsError(
            f"transfers are limited to {policy.daily_kopecks / 100:.2f} RUB a day",
            field="amount",
            rule="transfer_daily_limit",
        )
    fee = policy.fee_for(amount_kopecks)
    if own_kopecks < amount_kopecks + fee:
        raise InsufficientFunds(
            "the balance does not cover the transfer and its fee (promised credit cannot "
            "be transferred)",
            field="amount",
            rule="transfer_own_money",
        )
    return fee
