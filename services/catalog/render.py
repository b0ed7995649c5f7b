"""Products → JSON documents of the HTTP API (money as decimal strings of roubles)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kabinet.money import format_rub
from services.catalog.domain import Option, Product, Tariff


def _prices(product: Product, region: str | None, at: datetime) -> dict[str, Any]:
    if region is not None:
        return {"prices": {c: format_rub(k) for c, k in product.prices_at(region, at).items()}}
    return {
        "prices_by_region": {
            r: {c: format_rub(k) for c, k in product.prices_at(r, at).items()}
            for r in product.regions
        }
    }


def _availability(product: Product, at: datetime) -> dict[str, Any]:
    return {
        "regions": product.regions,
        "valid_from": product.valid_from.isoformat(),
        "retired_at": product.retired_at.isoformat() if product.retired_at else None,
        "available": product.valid_from <= at
        and (product.retired_at is None or at < product.retired_at),
    }


def render_tariff(tariff: Tariff, region: str | None, at: datetime) -> dict[str, Any]:
    d = tariff.details
    return {
        "id": tariff.product_id,
        "name": d["name"],
        "description": d["description"],
        "fee_period": d["fee_period"],
        "included": d["included"],
        "roaming": d["roaming"],
        "international_zone": d["international_zone"],
        "corporate_only": d["corporate_only"],
        "replacement_tariff_id": tariff.replacement_tariff_id,
        **_availability(tariff, at),
        **_prices(tariff, region, at),
    }


def render_option(option: Option, region: str | None, at: datetime) -> dict[str, Any]:
    d = option.details
    return {
        "id": option.product_id,
        "name": d["name"],
        "description": d["description"],
        "kind": d["kind"],
        "provider": d.get("provider"),
        "fee_period": d["fee_period"],
        "included": d["included"],
        "tariff_ids": d["tariff_ids"],
        "requires_option_ids": d["requires_option_ids"],
        "excludes_option_ids": d["excludes_option_ids"],
        "default_connected": d["default_connected"],
        **_availability(option, at),
        **_prices(option, region, at),
    }


def render_history(product: Product, region: str | None) -> dict[str, Any]:
    points = [p for p in product.price_points() if region is None or p["region"] == region]
    return {
        "id": product.product_id,
        "kind": product.KIND,
        "prices": [
            {
                "component": p["component"],
                "region": p["region"],
                "amount": format_rub(p["kopecks"]),
                "valid_from": p["valid_from"].isoformat(),
            }
            for p in points
        ],
    }
