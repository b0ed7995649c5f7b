"""Every subscription of the auth service, in one place."""

from __future__ import annotations

from kabinet.consumer import Subscription
from kabinet.effects import ProjectionEffects
from services.auth.notices import LoginNotices
from services.auth.projections import Directory


def subscriptions(directory: Directory, notices: LoginNotices) -> list[Subscription]:
    store = directory.store
    return [
        Subscription(
            "account", ProjectionEffects(store, directory.name, directory.account_handlers)
        ),
        Subscription(
            "corporate", ProjectionEffects(store, directory.name, directory.corporate_handlers)
        ),
        Subscription("auth", ProjectionEffects(store, notices.name, notices.handlers)),
    ]
