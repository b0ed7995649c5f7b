"""Events published by the detailing service (stream DETAILING).

Detailing decides how much; payments moves the money (ChargeIncurred → ChargeApplied).
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, NonNegativeInt, PositiveInt

from contracts.envelope import Envelope
from contracts.fields import Channel, ChargeKind, Direction, Msisdn, PhoneNumber, Region, UsageKind

ReportKind = Literal["short", "full"]
Bucket = Literal["minutes", "sms", "mms", "data_mb"]


class DetailingEvent(Envelope):
    PRODUCER: ClassVar[str] = "detailing"
    producer: Literal["detailing"] = "detailing"
    msisdn: Msisdn


class UsageRated(DetailingEvent):
    """A network usage record priced against the tariff: package first, then money."""

    type: Literal["UsageRated"] = "UsageRated"
    record_id: str
    kind: UsageKind
    direction: Direction | None = None
    counterparty: PhoneNumber | None = None
    started_at: AwareDatetime
    quantity: NonNegativeInt = Field(description="Seconds, messages or kilobytes, by kind.")
    package_quantity: NonNegativeInt = Field(description="The part taken from a package.")
    package_id: str | None = None
    billed_quantity: NonNegativeInt = Field(description="The part paid with money.")
    rate_kopecks: NonNegativeInt = Field(description="Per minute, message or megabyte.")
    amount_kopecks: NonNegativeInt
    tariff_id: str
    roaming_zone: str = "home"
    charge_id: str | None = Field(default=None, description="Its ChargeIncurred, if it costs.")


class ChargeIncurred(DetailingEvent):
    """Something cost the subscriber money; `cause_event_id` explains every kopeck."""

    type: Literal["ChargeIncurred"] = "ChargeIncurred"
    charge_id: str
    kind: ChargeKind
    amount_kopecks: PositiveInt
    cause_event_id: UUID | None = Field(default=None, description="The event that caused it.")
    cause_type: str = Field(description="That event's type, e.g. UsageRated, OptionToggled.")
    item_id: str | None = Field(default=None, description="Tariff, option, number or order id.")
    billing_date: date | None = Field(default=None, description="The day a recurring fee is for.")


class PackageThresholdReached(DetailingEvent):
    """A package bucket reached 80 % or 100 % of its allowance."""

    type: Literal["PackageThresholdReached"] = "PackageThresholdReached"
    package_id: str
    bucket: Bucket
    percent: Literal[80, 100]
    used: NonNegativeInt
    total: PositiveInt
    period_ends_at: AwareDatetime


class DetailingOrdered(DetailingEvent):
    """The owner ordered a report; a full one goes to e-mail and has a regional fee."""

    type: Literal["DetailingOrdered"] = "DetailingOrdered"
    order_id: str
    kind: ReportKind
    period_from: AwareDatetime
    period_to: AwareDatetime
    delivery: Literal["web", "email"]
    fee_kopecks: NonNegativeInt
    region: Region
    channel: Channel = "web"


class DetailingReportReady(DetailingEvent):
    """An ordered detailing report is ready and delivered."""

    type: Literal["DetailingReportReady"] = "DetailingReportReady"
    order_id: str
    kind: ReportKind
    records: NonNegativeInt
    total_kopecks: NonNegativeInt
    delivered_via: Literal["web", "email"]
    charge_id: str | None = None
