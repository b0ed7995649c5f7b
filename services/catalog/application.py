"""Catalog use cases: load → call → save; every change answers its log position."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from kabinet.clock import Clock, SystemClock
from kabinet.domain import Conflict, NotFound
from kabinet.eventstore import KabinetApplication
from services.catalog.domain import CatalogError, Option, PriceTable, Product, Tariff


class CatalogApplication(KabinetApplication):
    name = "catalog"

    def __init__(self, env: dict[str, str] | None = None, clock: Clock | None = None) -> None:
        super().__init__(env=env)
        self.clock = clock or SystemClock()

    def tariff(self, tariff_id: str, field: str = "tariff_id") -> Tariff:
        try:
            found: Tariff = self.repository.get(Tariff.id_for(tariff_id))
        except AggregateNotFoundError:
            raise NotFound(f"no tariff '{tariff_id}'", field=field) from None
        return found

    def option(self, option_id: str, field: str = "option_id") -> Option:
        try:
            found: Option = self.repository.get(Option.id_for(option_id))
        except AggregateNotFoundError:
            raise NotFound(f"no option '{option_id}'", field=field) from None
        return found

    def _new(self, product: Product, exists: str) -> int:
        """Save a product that must not exist yet. One that does is refused before the
        save: a refused save would still use up a log position, and whoever counts the
        catalog's positions to know it has caught up (account does) would wait for it."""
        if self.recorder.select_events(product.id, limit=1):
            raise Conflict(exists, field="id")
        return self._save(product, exists=exists)

    def _save(self, *aggregates: Any, exists: str) -> int:
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            raise Conflict(exists, field="id") from None
        return recordings[-1].notification.id

    def publish_tariff(
        self, details: dict[str, Any], prices: PriceTable, valid_from: datetime | None
    ) -> int:
        tariff = Tariff.publish(details, prices, valid_from or self.clock.now())
        return self._new(tariff, exists=f"tariff '{details['tariff_id']}' already exists")

    def publish_option(
        self, details: dict[str, Any], prices: PriceTable, valid_from: datetime | None
    ) -> int:
        for field in ("requires_option_ids", "excludes_option_ids"):
            for other in details[field]:
                self.option(other, field=field)
        for tariff_id in details["tariff_ids"]:
            self.tariff(tariff_id, field="tariff_ids")
        option = Option.publish(details, prices, valid_from or self.clock.now())
        return self._new(option, exists=f"option '{details['option_id']}' already exists")

    def change_price(
        self,
        product: Product,
        component: str,
        region: str,
        kopecks: int,
        valid_from: datetime | None,
    ) -> int:
        now = self.clock.now()
        product.change_price(component, region, kopecks, valid_from or now, now)
        return self._save(product, exists="the price changed meanwhile; try again")

    def retire_tariff(
        self, tariff_id: str, effective_at: datetime | None, replacement_id: str | None
    ) -> int:
        tariff = self.tariff(tariff_id)
        replacement = None
        if replacement_id is not None:
            if replacement_id == tariff_id:
                raise CatalogError("a tariff cannot replace itself", field="replacement_tariff_id")
            replacement = self.tariff(replacement_id, field="replacement_tariff_id")
        now = self.clock.now()
        when = effective_at or now
        if when < now:
            raise CatalogError("a tariff cannot be retired in the past", field="effective_at")
        tariff.retire(when, replacement)
        return self._save(tariff, exists="the tariff changed meanwhile; try again")
