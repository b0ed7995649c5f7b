"""Events published by the catalog service (stream CATALOG), keyed by tariff or option id."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, NonNegativeInt

from contracts.envelope import Envelope
from contracts.fields import FeePeriod, Region

PriceComponent = Literal[
    "recurring_fee",
    "connect_fee",
    "change_fee",
    "minute",
    "sms",
    "mms",
    "data_mb",
    "add_fee",
    "full_detailing",
]


class CatalogEvent(Envelope):
    PRODUCER: ClassVar[str] = "catalog"
    producer: Literal["catalog"] = "catalog"
    msisdn: None = None


class TariffEvent(CatalogEvent):
    tariff_id: str

    def key_fallback(self) -> str:
        return self.tariff_id


class TariffPublished(TariffEvent):
    """A tariff open for choice: its fee, included package and rates beyond the package."""

    type: Literal["TariffPublished"] = "TariffPublished"
    name: str
    recurring_fee_kopecks: NonNegativeInt
    fee_period: FeePeriod = "month"
    change_fee_kopecks: NonNegativeInt = 0
    included_minutes: NonNegativeInt = 0
    included_sms: NonNegativeInt = 0
    included_mms: NonNegativeInt = 0
    included_data_mb: NonNegativeInt = 0
    minute_kopecks: NonNegativeInt
    sms_kopecks: NonNegativeInt
    mms_kopecks: NonNegativeInt
    data_mb_kopecks: NonNegativeInt
    regions: list[Region]
    corporate_only: bool = False
    valid_from: AwareDatetime


class TariffRetired(TariffEvent):
    """A tariff closed for new choices; subscribers on it keep it unless moved."""

    type: Literal["TariffRetired"] = "TariffRetired"
    effective_at: AwareDatetime
    replacement_tariff_id: str | None = None


class OptionPublished(CatalogEvent):
    """An option, service or package open for connection, with its fees."""

    type: Literal["OptionPublished"] = "OptionPublished"
    option_id: str
    name: str
    kind: Literal["service", "package", "setting"]
    connect_fee_kopecks: NonNegativeInt
    recurring_fee_kopecks: NonNegativeInt = 0
    fee_period: FeePeriod | None = None
    included_minutes: NonNegativeInt = 0
    included_sms: NonNegativeInt = 0
    included_data_mb: NonNegativeInt = 0
    regions: list[Region]
    tariff_ids: list[str] = []
    valid_from: AwareDatetime

    def key_fallback(self) -> str:
        return self.option_id


class PriceChanged(CatalogEvent):
    """One price component of a tariff or option changes from `valid_from` (per region)."""

    type: Literal["PriceChanged"] = "PriceChanged"
    product_kind: Literal["tariff", "option"]
    product_id: str
    component: PriceComponent
    region: Region | None = None
    old_kopecks: NonNegativeInt | None = None
    new_kopecks: NonNegativeInt
    valid_from: AwareDatetime

    def key_fallback(self) -> str:
        return self.product_id
