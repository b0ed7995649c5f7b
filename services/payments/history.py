"""Operations history: the ledger's own events, newest first, a page at a time.

The cursor is the ledger version to continue below, so pages stay stable while new
movements arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from kabinet.domain import KabinetError
from kabinet.eventtable import EventTable
from kabinet.money import format_rub
from services.payments.application import PaymentsApplication
from services.payments.domain import Balance

DEFAULT_PERIOD = timedelta(days=31)
MAX_LIMIT = 200
_READ_AHEAD = 100


Movement = tuple[str, int, int, str, dict[str, str]]
"""What an operation is: kind, signed change of own money, credit change, cause, extras."""


def _posted(e: Balance.PaymentPosted) -> Movement:
    return ("topup" if e.method == "card" else e.method), e.amount_kopecks, 0, e.payment_id, {}


def _charged(e: Balance.ChargeApplied) -> Movement:
    return "charge", -e.amount_kopecks, 0, e.charge_id, {"charge_kind": e.kind}


def _sent(e: Balance.TransferSent) -> Movement:
    extra = {"counterparty": e.to_msisdn, "fee": format_rub(e.fee_kopecks)}
    return "transfer_out", e.delta, 0, e.transfer_id, extra


def _received(e: Balance.TransferReceived) -> Movement:
    return "transfer_in", e.amount_kopecks, 0, e.transfer_id, {"counterparty": e.from_msisdn}


def _held(e: Balance.WithdrawalHeld) -> Movement:
    return "withdrawal", e.delta, 0, e.withdrawal_id, {"card_last4": e.card_last4}


def _returned(e: Balance.WithdrawalReturned) -> Movement:
    return "withdrawal_returned", e.delta, 0, e.withdrawal_id, {}


def _granted(e: Balance.PromisedPaymentGranted) -> Movement:
    return "promised_payment_granted", 0, e.amount_kopecks, e.promise_id, {}


def _repaid(e: Balance.PromisedPaymentRepaid) -> Movement:
    return "promised_payment_repaid", 0, -e.amount_kopecks, e.promise_id, {}


def _overdue(e: Balance.PromisedPaymentOverdue) -> Movement:
    return "promised_payment_overdue", 0, -e.outstanding_kopecks, e.promise_id, {}


OPERATIONS: EventTable[Callable[[Any], Movement]] = EventTable(
    "payments operations",
    {
        Balance.PaymentPosted: _posted,
        Balance.ChargeApplied: _charged,
        Balance.TransferSent: _sent,
        Balance.TransferReceived: _received,
        Balance.WithdrawalHeld: _held,
        Balance.WithdrawalReturned: _returned,
        Balance.PromisedPaymentGranted: _granted,
        Balance.PromisedPaymentRepaid: _repaid,
        Balance.PromisedPaymentOverdue: _overdue,
    },
    nothing={
        Balance.Opened,
        Balance.AlertLevelSet,
        Balance.LowBalanceReached,
        Balance.BalanceExhausted,
        Balance.WithdrawalPaid,
        Balance.LoyaltyPointsEarned,
        Balance.LoyaltyPointsRedeemed,
        Balance.AutopayConfigured,
        Balance.AutopayCancelled,
        Balance.AutopayRequested,
        Balance.AutopayTriggered,
    },
)
"""Each ledger event that is an operation → its movement; the rest are not operations."""


def _operation(event: Any) -> dict[str, Any] | None:
    """One ledger event as an operation: signed change of own money, credit change, cause."""
    make = OPERATIONS.lookup(event)
    if make is None:
        return None
    kind, amount, credit, cause, extra = make(event)
    return {
        "sequence": event.originator_version,
        "at": event.timestamp.isoformat(),
        "kind": kind,
        "amount": format_rub(amount),
        "credit": format_rub(credit),
        "balance": format_rub(event.balance_kopecks),
        "cause_id": cause,
        **extra,
    }


def operations(
    app: PaymentsApplication,
    msisdn: str,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: int | None,
) -> dict[str, Any]:
    """Movements of one number in [since, until), newest first; `next_cursor` pages on."""
    if not 1 <= limit <= MAX_LIMIT:
        raise KabinetError(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    until = until or app.clock.now() + timedelta(seconds=1)
    since = since or until - DEFAULT_PERIOD
    if since >= until:
        raise KabinetError("'from' must be before 'to'", field="from")
    balance = app.balance(msisdn)
    top = min(cursor - 1, balance.version) if cursor else balance.version
    items: list[dict[str, Any]] = []
    next_cursor: int | None = None
    store = app.repository.event_store
    while top >= 1 and next_cursor is None:
        events: list[Any] = list(store.get(balance.id, lte=top, desc=True, limit=_READ_AHEAD))
        if not events:
            break
        for event in events:
            top = event.originator_version - 1
            if event.timestamp >= until:
                continue
            if event.timestamp < since:
                top = 0
                break
            found = _operation(event)
            if found is None:
                continue
            if len(items) == limit:
                next_cursor = items[-1]["sequence"]
                break
            items.append(found)
    return {
        "msisdn": msisdn,
        "from": since.isoformat(),
        "to": until.isoformat(),
        "items": items,
        "next_cursor": str(next_cursor) if next_cursor else None,
    }
