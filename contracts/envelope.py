"""The envelope every integration event carries (ARCHITECTURE §3.6)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.fields import Msisdn


class Envelope(BaseModel):
    """Common fields, then the typed payload declared by each subclass.

    Consumers ignore fields they do not know, so a producer may add optional
    fields within a schema version; a breaking change is a new `schema_version`.
    Money is integer kopecks in events (fields named `*_kopecks`); time is UTC.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    PRODUCER: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[int] = 1

    event_id: UUID
    type: str
    schema_version: int = 1
    occurred_at: AwareDatetime
    producer: str
    position: int = Field(
        ge=1,
        description=(
            "The producer's notification id: increasing in the order its events were stored."
            " A save that failed may have left a number unused."
        ),
    )
    msisdn: Msisdn | None = None
    correlation_id: str = ""
    causation_id: str = ""

    @property
    def partition_key(self) -> str:
        """What decides the partition: the subscriber's number, else the event's own key."""
        return self.msisdn or self.key_fallback()

    def key_fallback(self) -> str:
        return str(self.event_id)

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__
