"""Autopay use cases: set up, cancel, and the worker that pays requested top-ups.

A charge below the threshold records an `AutopayRequested` in the charge's own
transaction; the worker asks the acquirer (idempotent on the autopay id) outside any
transaction and records the outcome on the ledger.
"""

from __future__ import annotations

from typing import Any

from kabinet.money import format_rub
from services.payments.acquiring import Acquirer
from services.payments.application import PaymentsApplication
from services.payments.autopay import AutopaySetup
from services.payments.domain import Balance
from services.payments.watch import Watchlist


def view(balance: Balance) -> dict[str, Any]:
    setup = balance.autopay
    if setup is None:
        return {"msisdn": balance.msisdn, "enabled": False}
    return {
        "msisdn": balance.msisdn,
        "enabled": True,
        "card_last4": setup.card_last4,
        "threshold": format_rub(setup.threshold_kopecks),
        "amount": format_rub(setup.amount_kopecks),
        "monthly_cap": format_rub(setup.monthly_cap_kopecks),
        "month_total": format_rub(balance.autopay_month_total),
        "pending": balance.autopay_pending is not None,
    }


class Autopays:
    def __init__(self, app: PaymentsApplication, acquirer: Acquirer) -> None:
        self.app = app
        self.acquirer = acquirer
        self.requested = Watchlist(app, Balance.AutopayRequested)

    def configure(self, msisdn: str, setup: AutopaySetup) -> dict[str, Any]:
        return self._change(msisdn, lambda b: b.configure_autopay(setup, self.app.clock.now()))

    def cancel(self, msisdn: str) -> dict[str, Any]:
        return self._change(msisdn, lambda b: b.cancel_autopay(self.app.clock.now()))

    def show(self, msisdn: str) -> dict[str, Any]:
        return view(self.app.balance(msisdn))

    def run_pending(self) -> int:
        """Ask the acquirer for every requested autopay top-up; returns how many settled."""
        settled = 0
        for balance_id in self.requested.refresh():
            balance: Balance = self.app.repository.get(balance_id)
            if balance.autopay_pending is None or balance.autopay is None:
                self.requested.discard(balance_id)
                continue
            autopay_id, amount = balance.autopay_pending
            answer = self.acquirer.pay(autopay_id, amount, balance.autopay.card_token)
            if answer.outcome == "pending":
                continue  # asked again on the next run
            settled += self._settle(balance.msisdn, autopay_id, answer.outcome == "captured")
        return settled

    def _settle(self, msisdn: str, autopay_id: str, captured: bool) -> bool:
        now = self.app.clock.now()
        return self.app.change_balance(
            msisdn, lambda b: b.settle_autopay(autopay_id, captured, now), "msisdn"
        )

    def _change(self, msisdn: str, command: Any) -> dict[str, Any]:
        self.app.change_balance(msisdn, lambda b: command(b) or True, "msisdn")
        return self.show(msisdn)
