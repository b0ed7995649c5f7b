"""The catalog as read: every product in memory, kept up to date by tailing our own log.

The catalog is small and read far more than written. Reads answer from memory; the
view re-reads the notification log after a save in this process, at most every
`refresh_every` seconds otherwise (saves of other replicas), and at once when a read
carries a consistency token it has not reached. Rendered answers are cached per region
until the next price or availability change takes effect.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from kabinet.clock import Clock
from kabinet.eventstore import KabinetApplication
from services.catalog.domain import Option, Product, Tariff
from services.catalog.render import render_option, render_tariff


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    expires: datetime | None


class CatalogView:
    def __init__(self, app: KabinetApplication, clock: Clock, refresh_every: float = 1.0) -> None:
        self.app = app
        self.clock = clock
        self.refresh_every = refresh_every
        self.position = 0
        self.tariffs: dict[str, Tariff] = {}
        self.options: dict[str, Option] = {}
        self._dirty = True
        self._refreshed_at = 0.0
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], Rendered] = {}
        self._regions: list[str] = []
        app.on_saved(self.mark_dirty)

    def mark_dirty(self, _: object = None) -> None:
        self._dirty = True

    def needs_refresh(self, position: int = 0) -> bool:
        return (
            self._dirty
            or position > self.position
            or time.monotonic() - self._refreshed_at > self.refresh_every
        )

    def refresh(self) -> None:
        """Read what the log holds after our position (one indexed query when idle)."""
        with self._lock:
            self._dirty = False
            self._refreshed_at = time.monotonic()
            while notifications := self.app.recorder.select_notifications(self.position + 1, 500):
                changed = {n.originator_id for n in notifications}
                for aggregate_id in changed:
                    product: Product = self.app.repository.get(UUID(str(aggregate_id)))
                    if isinstance(product, Tariff):
                        self.tariffs[product.product_id] = product
                    elif isinstance(product, Option):
                        self.options[product.product_id] = product
                self.position = notifications[-1].id
                self._cache.clear()
                products = [*self.tariffs.values(), *self.options.values()]
                self._regions = sorted({r for p in products for r in p.regions})

    def regions(self) -> list[str]:
        return self._regions

    def _cached(self, key: tuple[str, str], at: datetime, build: Any) -> Rendered:
        hit = self._cache.get(key)
        if hit is not None and (hit.expires is None or at < hit.expires):
            return hit
        document, products = build()
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"'
        changes = [c for p in products if (c := p.next_change_after(at)) is not None]
        rendered = Rendered(body, etag, min(changes) if changes else None)
        self._cache[key] = rendered
        return rendered

    def tariff_list(self, region: str | None, at: datetime | None = None) -> Rendered:
        """Tariffs open for choice (in a region, with its prices) at `at` (default now)."""
        now = self.clock.now()
        when = at or now

        def build() -> tuple[Any, list[Product]]:
            chosen = self._listed(self.tariffs, region, when)
            items = [render_tariff(t, region, when) for t in chosen]
            return {"region": region, "at": when.isoformat(), "tariffs": items}, chosen

        if at is not None:
            return self._cached(("tariffs", f"{region}@{at.isoformat()}"), now, build)
        return self._cached(("tariffs", region or ""), when, build)

    def option_list(self, region: str | None, at: datetime | None = None) -> Rendered:
        now = self.clock.now()
        when = at or now

        def build() -> tuple[Any, list[Product]]:
            chosen = self._listed(self.options, region, when)
            items = [render_option(o, region, when) for o in chosen]
            return {"region": region, "at": when.isoformat(), "options": items}, chosen

        if at is not None:
            return self._cached(("options", f"{region}@{at.isoformat()}"), now, build)
        return self._cached(("options", region or ""), when, build)

    @staticmethod
    def _listed(products: dict[str, Any], region: str | None, at: datetime) -> list[Any]:
        listed = [
            p
            for p in products.values()
            if p.valid_from <= at and (p.retired_at is None or at < p.retired_at)
        ]
        if region is not None:
            listed = [p for p in listed if region in p.regions]
        return sorted(listed, key=lambda p: p.product_id)
