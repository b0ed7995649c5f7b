"""Operations history: the ledger's own events, newest first, a page at a time.

The cursor is the ledger version to continue below, so pages stay stable while new
movements arrive.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kabinet.domain import KabinetError
from kabinet.money import format_rub
from services.payments.application import PaymentsApplication
from services.payments.domain import Balance

DEFAULT_PERIOD = timedelta(days=31)
MAX_LIMIT = 200
_READ_AHEAD = 100


def _operation(event: Any) -> dict[str, Any] | None:
    """One ledger event as an operation: signed change of own money, credit change, cause."""
    amount, credit, extra = 0, 0, {}
    if isinstance(event, Balance.PaymentPosted):
        kind, amount, cause = (
            ("topup" if event.method == "card" else event.method),
            event.amount_kopecks,
            event.payment_id,
        )
    elif isinstance(event, Balance.ChargeApplied):
        kind, amount, cause = "charge", -event.amount_kopecks, event.charge_id
        extra = {"charge_kind": event.kind}
    elif isinstance(event, Balance.TransferSent):
        kind, amount, cause = "transfer_out", event.delta, event.transfer_id
        extra = {"counterparty": event.to_msisdn, "fee": format_rub(event.fee_kopecks)}
    elif isinstance(event, Balance.TransferReceived):
        kind, amount, cause = "transfer_in", event.amount_kopecks, event.transfer_id
        extra = {"counterparty": event.from_msisdn}
    elif isinstance(event, Balance.WithdrawalHeld):
        kind, amount, cause = "withdrawal", event.delta, event.withdrawal_id
        extra = {"card_last4": event.card_last4}
    elif isinstance(event, Balance.WithdrawalReturned):
        kind, amount, cause = "withdrawal_returned", event.delta, event.withdrawal_id
    elif isinstance(event, Balance.PromisedPaymentGranted):
        kind, credit, cause = "promised_payment_granted", event.amount_kopecks, event.promise_id
    elif isinstance(event, Balance.PromisedPaymentRepaid):
        kind, credit, cause = "promised_payment_repaid", -event.amount_kopecks, event.promise_id
    elif isinstance(event, Balance.PromisedPaymentOverdue):
        kind, credit, cause = (
            "promised_payment_overdue",
            -event.outstanding_kopecks,
            event.promise_id,
        )
    else:
        return None
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
