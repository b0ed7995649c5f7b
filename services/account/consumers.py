"""Every subscription of the account service, in one place."""

from __future__ import annotations

from kabinet.consumer import Subscription
from kabinet.effects import ApplicationEffects, ProjectionEffects
from services.account import debt
from services.account.application import AccountApplication
from services.account.catalog import CatalogProjection
from services.account.projections import LastTopUp


def subscriptions(
    app: AccountApplication, last_topup: LastTopUp, catalog: CatalogProjection
) -> list[Subscription]:
    return [
        Subscription(
            "payments",
            ProjectionEffects(
                last_topup.store,
                last_topup.name,
                {"PaymentPosted": last_topup.on_payment_posted},
            ),
        ),
        Subscription(
            "payments",
            ApplicationEffects(
                app,
                {
                    "BalanceExhausted": debt.on_balance_exhausted,
                    "PaymentPosted": debt.on_payment_posted,
                },
            ),
        ),
        Subscription("catalog", ProjectionEffects(catalog.store, catalog.name, catalog.handlers)),
    ]
