"""What account knows of the catalog: products as the catalog's events described them.

An `Offer` is a tariff or option with its regional price history; the price in force at
an instant is the last point whose `valid_from` is not after it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Offer:
    id: str
    kind: str  # "tariff" or the option's kind: service, package, setting, content
    name: str
    regions: list[str]
    valid_from: datetime
    retired_at: datetime | None
    prices: dict[str, list[tuple[datetime, int]]]
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Offer:
        return cls(
            id=doc["id"],
            kind=doc["kind"],
            name=doc["name"],
            regions=doc["regions"],
            valid_from=datetime.fromisoformat(doc["valid_from"]),
            retired_at=datetime.fromisoformat(doc["retired_at"]) if doc["retired_at"] else None,
            prices={
                key: sorted((datetime.fromisoformat(at), k) for at, k in points)
                for key, points in doc["prices"].items()
            },
            details=doc["details"],
        )

    @property
    def is_tariff(self) -> bool:
        return self.kind == "tariff"

    def price(self, component: str, region: str, at: datetime) -> int:
        points = self.prices.get(f"{component}@{region}", [])
        index = bisect.bisect_right(points, (at, float("inf")))
        return points[index - 1][1] if index else 0

    def retired(self, at: datetime) -> bool:
        return self.retired_at is not None and self.retired_at <= at

    def offered(self, region: str, at: datetime) -> bool:
        return region in self.regions and self.valid_from <= at and not self.retired(at)

    @property
    def fee_period(self) -> str | None:
        period: str | None = self.details.get("fee_period")
        return period

    @property
    def tariff_ids(self) -> list[str]:
        return list(self.details.get("tariff_ids", []))

    @property
    def requires(self) -> list[str]:
        return list(self.details.get("requires_option_ids", []))

    @property
    def excludes(self) -> list[str]:
        return list(self.details.get("excludes_option_ids", []))
