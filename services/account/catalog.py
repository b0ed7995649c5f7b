"""Account's copy of the catalog, built from the CATALOG stream (services never import
each other): one JSON document per product, and the catalog positions applied so far.

Catalog events name no subscriber, so a command carrying a catalog consistency token
waits until every catalog event up to it is applied (`AppliedPositions`), not on one
partition's tracking row, before it checks a tariff or option.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from psycopg import Cursor
from psycopg.rows import DictRow

from contracts import catalog as public
from kabinet.consistency import AppliedPositions
from kabinet.effects import ProjectionStore
from services.account.offers import Offer

PRODUCT_DDL = """
    CREATE TABLE IF NOT EXISTS {schema}.catalog_product (
        kind text NOT NULL, id text NOT NULL, doc jsonb NOT NULL, PRIMARY KEY (kind, id)
    )
"""


class CatalogProjection:
    name = "catalog"

    def __init__(self, store: ProjectionStore) -> None:
        self.store = store
        self.table = f'"{store.schema}".catalog_product'
        self.applied = AppliedPositions(store, "catalog_applied")

    def setup(self) -> None:
        self.store.setup(PRODUCT_DDL, self.applied.ddl)

    @property
    def handlers(self) -> dict[str, Any]:
        return {
            "TariffPublished": self.on_tariff_published,
            "OptionPublished": self.on_option_published,
            "PriceChanged": self.on_price_changed,
            "TariffRetired": self.on_tariff_retired,
        }

    def _put(self, cur: Cursor[DictRow], kind: str, doc: dict[str, Any]) -> None:
        cur.execute(
            f"INSERT INTO {self.table} VALUES (%s, %s, %s) "
            "ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc",
            (kind, doc["id"], json.dumps(doc)),
        )

    def _get(self, cur: Cursor[DictRow], kind: str, product_id: str) -> dict[str, Any] | None:
        cur.execute(
            f"SELECT doc FROM {self.table} WHERE kind = %s AND id = %s FOR UPDATE",
            (kind, product_id),
        )
        row = cur.fetchone()
        return dict(row["doc"]) if row else None

    @staticmethod
    def _doc(
        product_id: str, kind: str, name: str, regions: list[str], valid_from: datetime,
        base: dict[str, int], details: dict[str, Any],
    ) -> dict[str, Any]:  # fmt: skip
        since = valid_from.isoformat()
        return {
            "id": product_id,
            "kind": kind,
            "name": name,
            "regions": regions,
            "valid_from": since,
            "retired_at": None,
            "prices": {f"{c}@{r}": [[since, k]] for r in regions for c, k in base.items()},
            "details": details,
        }

    def on_tariff_published(self, cur: Cursor[DictRow], e: public.TariffPublished) -> None:
        base = {
            "recurring_fee": e.recurring_fee_kopecks,
            "change_fee": e.change_fee_kopecks,
            "minute": e.minute_kopecks,
            "sms": e.sms_kopecks,
            "mms": e.mms_kopecks,
            "data_mb": e.data_mb_kopecks,
        }
        details = {
            "fee_period": e.fee_period,
            "description": e.description,
            "corporate_only": e.corporate_only,
            "included": {
                "minutes": e.included_minutes,
                "sms": e.included_sms,
                "mms": e.included_mms,
                "data_mb": e.included_data_mb,
            },
        }
        doc = self._doc(e.tariff_id, "tariff", e.name, e.regions, e.valid_from, base, details)
        if e.available_until is not None:
            doc["retired_at"] = e.available_until.isoformat()
        self._put(cur, "tariff", doc)
        self.applied.note(cur, e.position)

    def on_option_published(self, cur: Cursor[DictRow], e: public.OptionPublished) -> None:
        base = {
            "connect_fee": e.connect_fee_kopecks,
            "recurring_fee": e.recurring_fee_kopecks,
            "add_fee": e.add_fee_kopecks,
        }
        details = {
            "description": e.description,
            "provider": e.provider,
            "fee_period": e.fee_period,
            "tariff_ids": e.tariff_ids,
            "requires_option_ids": e.requires_option_ids,
            "excludes_option_ids": e.excludes_option_ids,
            "default_connected": e.default_connected,
        }
        doc = self._doc(e.option_id, e.kind, e.name, e.regions, e.valid_from, base, details)
        self._put(cur, "option", doc)
        self.applied.note(cur, e.position)

    def on_price_changed(self, cur: Cursor[DictRow], e: public.PriceChanged) -> None:
        doc = self._get(cur, e.product_kind, e.product_id)
        if doc is not None:
            since = e.valid_from.isoformat()
            key = f"{e.component}@{e.region}"
            points = [p for p in doc["prices"].get(key, []) if p[0] != since]
            doc["prices"][key] = [*points, [since, e.new_kopecks]]
            self._put(cur, e.product_kind, doc)
        self.applied.note(cur, e.position)

    def on_tariff_retired(self, cur: Cursor[DictRow], e: public.TariffRetired) -> None:
        doc = self._get(cur, "tariff", e.tariff_id)
        if doc is not None:
            doc["retired_at"] = e.effective_at.isoformat()
            doc["details"]["replacement_tariff_id"] = e.replacement_tariff_id
            self._put(cur, "tariff", doc)
        self.applied.note(cur, e.position)

    def offer(self, kind: str, product_id: str) -> Offer | None:
        rows = self.store.query(
            "SELECT doc FROM {schema}.catalog_product WHERE kind = %s AND id = %s",
            (kind, product_id),
        )
        return Offer.from_doc(rows[0]["doc"]) if rows else None

    def offers(self, kind: str) -> dict[str, Offer]:
        rows = self.store.query(
            "SELECT doc FROM {schema}.catalog_product WHERE kind = %s ORDER BY id", (kind,)
        )
        return {row["doc"]["id"]: Offer.from_doc(row["doc"]) for row in rows}

    async def wait(self, position: int, timeout: float) -> bool:
        """Wait (bounded) until every catalog event up to `position` is applied."""
        return await self.applied.wait(position, timeout)
