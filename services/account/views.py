"""Read views of one subscriber, rendered for the HTTP API (money as roubles strings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kabinet.money import format_rub
from services.account.domain import Subscriber
from services.account.offers import Offer

TARIFF_PRICES = ("recurring_fee", "change_fee", "minute", "sms", "mms", "data_mb")
OPTION_PRICES = ("connect_fee", "recurring_fee", "add_fee")


def _prices(offer: Offer, names: tuple[str, ...], region: str, at: datetime) -> dict[str, str]:
    return {name: format_rub(offer.price(name, region, at)) for name in names}


def tariffs_view(s: Subscriber, tariffs: dict[str, Offer], at: datetime) -> dict[str, Any]:
    """The current tariff first, then every other tariff open for choice in the region."""
    current = tariffs.get(s.tariff_id)
    others = [t for t in tariffs.values() if t.id != s.tariff_id and t.offered(s.region, at)]
    listed = ([current] if current else []) + sorted(others, key=lambda t: t.id)
    return {
        "region": s.region,
        "current_tariff_id": s.tariff_id,
        "tariffs": [
            {
                "id": t.id,
                "name": t.name,
                "current": t.id == s.tariff_id,
                "can_choose": t.id != s.tariff_id and t.offered(s.region, at),
                "description": t.details.get("description", ""),
                "fee_period": t.fee_period,
                "included": t.details.get("included", {}),
                "prices": _prices(t, TARIFF_PRICES, s.region, at),
            }
            for t in listed
        ],
    }


def options_view(s: Subscriber, options: dict[str, Offer], at: datetime) -> dict[str, Any]:
    """Connected options first, then the ones that can be connected in the region."""
    usable = [
        o
        for o in options.values()
        if o.kind != "content" and (o.id in s.options or o.offered(s.region, at))
    ]
    usable.sort(key=lambda o: (o.id not in s.options, o.id))
    return {
        "options": [
            {
                "id": o.id,
                "name": o.name,
                "kind": o.kind,
                "connected": o.id in s.options,
                "fee_period": o.fee_period,
                "prices": _prices(o, OPTION_PRICES, s.region, at),
                "tariff_ids": o.tariff_ids,
                "requires_option_ids": o.requires,
                "excludes_option_ids": o.excludes,
            }
            for o in usable
        ]
    }


def profile_view(s: Subscriber) -> dict[str, Any]:
    return {
        "msisdn": s.msisdn,
        "owner_name": s.owner_name,
        "email": s.email,
        "language": s.language,
        "region": s.region,
        "status": s.status,
        "suspension": s.suspension,
    }


def subscriptions_view(s: Subscriber) -> dict[str, Any]:
    return {
        "subscriptions": [
            {
                **{k: v for k, v in item.items() if k != "fee_kopecks"},
                "fee": format_rub(item["fee_kopecks"]),
            }
            for item in s.subscriptions.values()
        ]
    }
