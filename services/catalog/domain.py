"""The catalog: tariffs and options, each with regional prices that change over time.

A price is a history per (component, region): points of (valid_from, kopecks). The price
in force at an instant is the last point whose `valid_from` is not after it, so a change
published today with `valid_from` tomorrow leaves today's price in force until then.
"""

from __future__ import annotations

import bisect
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from kabinet.domain import Conflict, KabinetAggregate, KabinetError, stable_id

TARIFF_COMPONENTS = ("recurring_fee", "change_fee", "minute", "sms", "mms", "data_mb")
OPTION_COMPONENTS = ("connect_fee", "recurring_fee", "add_fee")


class CatalogError(KabinetError):
    pass


PriceTable = dict[str, dict[str, int]]
"""region → component → kopecks, as staff enter them."""


class Product(KabinetAggregate):
    """What tariffs and options share: regions, validity and a price history."""

    COMPONENTS: ClassVar[tuple[str, ...]] = ()
    KIND: ClassVar[str] = ""

    class PriceChanged(KabinetAggregate.Event):
        product_kind: str
        product_id: str
        component: str
        region: str
        old_kopecks: int | None
        new_kopecks: int
        valid_from: datetime

        def apply(self, product: Product) -> None:
            product._add_point(self.component, self.region, self.valid_from, self.new_kopecks)

    def _init_product(
        self, product_id: str, regions: list[str], valid_from: datetime, prices: dict[str, int]
    ) -> None:
        self.product_id = product_id
        self.regions = list(regions)
        self.valid_from = valid_from
        self.retired_at: datetime | None = None
        self.history: dict[str, list[tuple[datetime, int]]] = {}
        for region in regions:
            for component, kopecks in prices.items():
                self._add_point(component, region, valid_from, kopecks)

    def _add_point(self, component: str, region: str, at: datetime, kopecks: int) -> None:
        points = self.history.setdefault(f"{component}@{region}", [])
        points[:] = [p for p in points if p[0] != at]
        bisect.insort(points, (at, kopecks))

    def price_at(self, component: str, region: str, at: datetime) -> int | None:
        points = self.history.get(f"{component}@{region}", [])
        index = bisect.bisect_right(points, (at, float("inf")))
        return points[index - 1][1] if index else None

    def prices_at(self, region: str, at: datetime) -> dict[str, int]:
        found = {c: self.price_at(c, region, at) for c in self.COMPONENTS}
        return {c: k for c, k in found.items() if k is not None}

    def price_points(self) -> list[dict[str, Any]]:
        """Every price point ever set, oldest first: the answer to 'what did it cost then'."""
        points = []
        for key, history in self.history.items():
            component, region = key.split("@")
            for at, kopecks in history:
                points.append(
                    {"component": component, "region": region, "valid_from": at, "kopecks": kopecks}
                )
        return sorted(points, key=lambda p: (p["valid_from"], p["region"], p["component"]))

    def offered(self, region: str, at: datetime) -> bool:
        """Open for new choices in this region at that instant."""
        return (
            region in self.regions
            and self.valid_from <= at
            and (self.retired_at is None or at < self.retired_at)
        )

    def next_change_after(self, at: datetime) -> datetime | None:
        """The first instant after `at` when something about this product changes."""
        moments = [self.valid_from, *(t for h in self.history.values() for t, _ in h)]
        if self.retired_at is not None:
            moments.append(self.retired_at)
        later = [m for m in moments if m > at]
        return min(later) if later else None

    def change_price(
        self, component: str, region: str, kopecks: int, valid_from: datetime, now: datetime
    ) -> None:
        if component not in self.COMPONENTS:
            raise CatalogError(
                f"a {self.KIND} has no price '{component}'; one of: {', '.join(self.COMPONENTS)}",
                field="component",
            )
        if region not in self.regions:
            raise CatalogError(
                f"{self.KIND} '{self.product_id}' is not offered in region '{region}'",
                field="region",
            )
        if valid_from < now:
            raise CatalogError("a price cannot change in the past", field="valid_from")
        old = self.price_at(component, region, valid_from)
        if old == kopecks:
            raise CatalogError("the price is already that from then", field="amount")
        self.trigger_event(
            self.PriceChanged,
            product_kind=self.KIND,
            product_id=self.product_id,
            component=component,
            region=region,
            old_kopecks=old,
            new_kopecks=kopecks,
            valid_from=valid_from,
        )

    def _regional_overrides(self, prices: PriceTable, valid_from: datetime) -> None:
        """Regions priced unlike the first one get their own price points at publication."""
        base_region = next(iter(prices))
        for region, table in prices.items():
            for component, kopecks in table.items():
                if kopecks != prices[base_region][component]:
                    self.trigger_event(
                        self.PriceChanged,
                        product_kind=self.KIND,
                        product_id=self.product_id,
                        component=component,
                        region=region,
                        old_kopecks=prices[base_region][component],
                        new_kopecks=kopecks,
                        valid_from=valid_from,
                    )


def _check_prices(prices: PriceTable, components: tuple[str, ...]) -> None:
    if not prices:
        raise CatalogError("prices for at least one region are required", field="prices")
    for region, table in prices.items():
        missing = [c for c in components if c not in table]
        if missing:
            raise CatalogError(
                f"region '{region}' lacks prices: {', '.join(missing)}", field=f"prices.{region}"
            )


class Tariff(Product):
    COMPONENTS = TARIFF_COMPONENTS
    KIND = "tariff"

    class Published(KabinetAggregate.Created):
        details: dict[str, Any]
        regions: list[str]
        prices: dict[str, int]
        valid_from: datetime

    class Retired(KabinetAggregate.Event):
        tariff_id: str
        effective_at: datetime
        replacement_tariff_id: str | None

        def apply(self, tariff: Tariff) -> None:
            tariff.retired_at = self.effective_at
            tariff.replacement_tariff_id = self.replacement_tariff_id

    def __init__(
        self,
        details: dict[str, Any],
        regions: list[str],
        prices: dict[str, int],
        valid_from: datetime,
    ) -> None:
        self._init_product(details["tariff_id"], regions, valid_from, prices)
        self.details = details
        self.replacement_tariff_id: str | None = None
        if details.get("available_until"):
            self.retired_at = datetime.fromisoformat(details["available_until"])

    @staticmethod
    def id_for(tariff_id: str) -> UUID:
        return stable_id("tariff", tariff_id)

    @classmethod
    def publish(cls, details: dict[str, Any], prices: PriceTable, valid_from: datetime) -> Tariff:
        _check_prices(prices, TARIFF_COMPONENTS)
        until = details.get("available_until")
        if until and datetime.fromisoformat(until) <= valid_from:
            raise CatalogError("available_until must be after valid_from", field="available_until")
        base = prices[next(iter(prices))]
        tariff = cls._create(
            cls.Published,
            id=cls.id_for(details["tariff_id"]),
            details=details,
            regions=list(prices),
            prices={c: base[c] for c in TARIFF_COMPONENTS},
            valid_from=valid_from,
        )
        tariff._regional_overrides(prices, valid_from)
        return tariff

    def retire(self, effective_at: datetime, replacement: Tariff | None) -> None:
        if self.retired_at is not None and self.retired_at <= effective_at:
            raise Conflict(f"tariff '{self.product_id}' is already retired", field="tariff_id")
        if replacement is not None and replacement.retired_at is not None:
            raise CatalogError("the replacement tariff is retired", field="replacement_tariff_id")
        self.trigger_event(
            self.Retired,
            tariff_id=self.product_id,
            effective_at=effective_at,
            replacement_tariff_id=replacement.product_id if replacement else None,
        )


class Option(Product):
    COMPONENTS = OPTION_COMPONENTS
    KIND = "option"

    class Published(KabinetAggregate.Created):
        details: dict[str, Any]
        regions: list[str]
        prices: dict[str, int]
        valid_from: datetime

    def __init__(
        self,
        details: dict[str, Any],
        regions: list[str],
        prices: dict[str, int],
        valid_from: datetime,
    ) -> None:
        self._init_product(details["option_id"], regions, valid_from, prices)
        self.details = details

    @staticmethod
    def id_for(option_id: str) -> UUID:
        return stable_id("option", option_id)

    @classmethod
    def publish(cls, details: dict[str, Any], prices: PriceTable, valid_from: datetime) -> Option:
        _check_prices(prices, OPTION_COMPONENTS)
        option_id = details["option_id"]
        clash = set(details["requires_option_ids"]) & set(details["excludes_option_ids"])
        if option_id in details["requires_option_ids"] + details["excludes_option_ids"] or clash:
            raise CatalogError(
                "an option cannot require and exclude the same option, nor name itself",
                field="excludes_option_ids",
            )
        if details["fee_period"] is None and any(t["recurring_fee"] for t in prices.values()):
            raise CatalogError("a recurring fee needs its period", field="fee_period")
        if details["kind"] == "content" and not details.get("provider"):
            raise CatalogError("a content subscription names its provider", field="provider")
        base = prices[next(iter(prices))]
        option = cls._create(
            cls.Published,
            id=cls.id_for(option_id),
            details=details,
            regions=list(prices),
            prices={c: base[c] for c in OPTION_COMPONENTS},
            valid_from=valid_from,
        )
        option._regional_overrides(prices, valid_from)
        return option
