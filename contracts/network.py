"""Usage records from the operator's network (stream NETWORK)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field, NonNegativeInt

from contracts.envelope import Envelope
from contracts.fields import Direction, Msisdn, PhoneNumber, Region, UsageKind


class NetworkEvent(Envelope):
    PRODUCER: ClassVar[str] = "network"
    producer: Literal["network"] = "network"
    msisdn: Msisdn


class UsageRecorded(NetworkEvent):
    """One call, message or data session, as the network measured it."""

    type: Literal["UsageRecorded"] = "UsageRecorded"
    record_id: str
    kind: UsageKind
    direction: Direction | None = Field(default=None, description="None for data.")
    counterparty: PhoneNumber | None = Field(default=None, description="None for data.")
    started_at: AwareDatetime
    duration_seconds: NonNegativeInt | None = Field(default=None, description="Calls and data.")
    units: NonNegativeInt | None = Field(
        default=None, description="Messages for sms/mms, kilobytes for data."
    )
    roaming_zone: str = Field(default="home", description="'home', or the visited zone.")
    region: Region | None = None
