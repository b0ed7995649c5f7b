"""Events published by the catalog service (stream CATALOG), keyed by tariff or option id.

Prices in `TariffPublished` / `OptionPublished` apply in every listed region; a region
priced differently gets a `PriceChanged` with the same `valid_from`, published right
after. Every price is a history: `PriceChanged` names when the new price takes effect,
so "what did this cost on that day" is answered from the stream alone.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field, NonNegativeInt

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
]
OptionKind = Literal["service", "package", "setting", "content"]
InternationalZone = Literal["none", "cis", "world"]


class CatalogEvent(Envelope):
    PRODUCER: ClassVar[str] = "catalog"
    producer: Literal["catalog"] = "catalog"
    msisdn: None = None


class TariffEvent(CatalogEvent):
    tariff_id: str

    def key_fallback(self) -> str:
        return self.tariff_id


class TariffPublished(TariffEvent):
    """A tariff open for choice: its fees, included package and rates beyond the package."""

    type: Literal["TariffPublished"] = "TariffPublished"
    name: str
    description: str = ""
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
    roaming: bool = Field(default=False, description="Usage abroad is allowed on this tariff.")
    international_zone: InternationalZone = "none"
    regions: list[Region] = Field(min_length=1)
    corporate_only: bool = False
    valid_from: AwareDatetime
    available_until: AwareDatetime | None = Field(
        default=None, description="Closed for new choices from then on (a planned retirement)."
    )


class TariffRetired(TariffEvent):
    """A tariff closed for new choices; subscribers on it keep it unless moved."""

    type: Literal["TariffRetired"] = "TariffRetired"
    effective_at: AwareDatetime
    replacement_tariff_id: str | None = None


class OptionPublished(CatalogEvent):
    """An option, service, package, setting or content subscription, with its fees."""

    type: Literal["OptionPublished"] = "OptionPublished"
    option_id: str
    name: str
    description: str = ""
    kind: OptionKind
    provider: str | None = Field(default=None, description="Content partner, for 'content'.")
    connect_fee_kopecks: NonNegativeInt
    recurring_fee_kopecks: NonNegativeInt = 0
    fee_period: FeePeriod | None = None
    add_fee_kopecks: NonNegativeInt = Field(
        default=0, description="Per added item, e.g. one blacklisted number."
    )
    included_minutes: NonNegativeInt = 0
    included_sms: NonNegativeInt = 0
    included_data_mb: NonNegativeInt = 0
    regions: list[Region] = Field(min_length=1)
    tariff_ids: list[str] = Field(default=[], description="Only with these tariffs; [] = any.")
    requires_option_ids: list[str] = []
    excludes_option_ids: list[str] = []
    default_connected: bool = Field(default=False, description="Connected at activation.")
    valid_from: AwareDatetime

    def key_fallback(self) -> str:
        return self.option_id


class PriceChanged(CatalogEvent):
    """One price component of a tariff or option in one region changes from `valid_from`."""

    type: Literal["PriceChanged"] = "PriceChanged"
    product_kind: Literal["tariff", "option"]
    product_id: str
    component: PriceComponent
    region: Region
    old_kopecks: NonNegativeInt | None = None
    new_kopecks: NonNegativeInt
    valid_from: AwareDatetime

    def key_fallback(self) -> str:
        return self.product_id
