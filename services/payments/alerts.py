"""The low-balance notification rules: once when a charge takes the balance below the level
the subscriber set, again only after the balance was back at or above it."""

from __future__ import annotations

from services.payments.rules import TOPUP_MAX_KOPECKS, PaymentsError


def check_level(level_kopecks: int | None) -> None:
    if level_kopecks is not None and not 0 < level_kopecks <= TOPUP_MAX_KOPECKS:
        raise PaymentsError(
            "the level is between 0.01 and 15000.00 RUB, or null to switch it off",
            field="level",
            rule="alert_level",
        )


def alert_due(level_kopecks: int | None, armed: bool, kopecks: int) -> bool:
    """A charge left the balance below an armed level: notify."""
    return level_kopecks is not None and armed and kopecks < level_kopecks


def rearms(level_kopecks: int | None, kopecks: int) -> bool:
    """The balance is back at or above the level: the next fall below notifies again."""
    return level_kopecks is not None and kopecks >= level_kopecks
