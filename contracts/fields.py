"""Field types shared by several producers' events."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

MSISDN_PATTERN = r"^7\d{10}$"

Msisdn = Annotated[str, Field(pattern=MSISDN_PATTERN, description="11 digits, 7XXXXXXXXXX.")]
PhoneNumber = Annotated[
    str,
    Field(pattern=r"^\d{2,15}$", description="Any dialable number as digits: E.164 or short."),
]

Actor = Literal["subscriber", "corporate_admin", "staff", "system"]
Channel = Literal["web", "mobile", "ops", "system"]
UsageKind = Literal["call", "sms", "mms", "data"]
Direction = Literal["outgoing", "incoming"]
FeePeriod = Literal["day", "month"]
Region = Annotated[str, Field(min_length=1, description="Region code, e.g. 'spb', 'msk'.")]
ChargeKind = Literal[
    "usage",
    "tariff_fee",
    "tariff_change_fee",
    "option_fee",
    "option_connect_fee",
    "blacklist_daily_fee",
    "blacklist_add_fee",
    "content_fee",
    "detailing_fee",
]
