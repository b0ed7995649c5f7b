"""The kit benchmark's own small model, so that it measures the kit's store, relay and
consumer and no service's code.

A `Line` is stored with one event and published as the contract's `SubscriberActivated`
(the event the pipeline carries for every new number, the same size on the wire); a
consumer opens one `Ledger` per line it sees, as a service opens an account for a new
number: one aggregate created and saved with its tracking row per event.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from contracts.account import SubscriberActivated
from contracts.envelope import Envelope
from kabinet.domain import KabinetAggregate, stable_id
from kabinet.effects import UnitOfWork
from kabinet.eventstore import KabinetApplication
from kabinet.relay import envelope_fields

PRODUCER = "account"
"""The stream the lines are published to: the producer of `SubscriberActivated`."""


class Line(KabinetAggregate):
    """A subscriber's line as the bench writes it: created, never changed."""

    class Activated(KabinetAggregate.Created):
        msisdn: str
        owner_name: str
        region: str
        tariff_id: str

    def __init__(self, msisdn: str, owner_name: str, region: str, tariff_id: str) -> None:
        self.msisdn = msisdn
        self.owner_name = owner_name
        self.region = region
        self.tariff_id = tariff_id

    @classmethod
    def activate(cls, msisdn: str, owner_name: str, region: str, tariff_id: str) -> Line:
        return cls._create(
            cls.Activated,
            id=stable_id("bench-line", msisdn),
            msisdn=msisdn,
            owner_name=owner_name,
            region=region,
            tariff_id=tariff_id,
        )


def to_public(event: Any, position: int) -> Envelope | None:
    """The relay's mapper: a line's activation → `SubscriberActivated`."""
    if isinstance(event, Line.Activated):
        return SubscriberActivated(
            **envelope_fields(event, position, PRODUCER),
            msisdn=event.msisdn,
            owner_name=event.owner_name,
            region=event.region,
            tariff_id=event.tariff_id,
        )
    return None


class Ledger(KabinetAggregate):
    """What the consumer opens for each line: one aggregate per number."""

    class Opened(KabinetAggregate.Created):
        msisdn: str

    def __init__(self, msisdn: str) -> None:
        self.msisdn = msisdn

    @staticmethod
    def id_for(msisdn: str) -> UUID:
        return stable_id("bench-ledger", msisdn)

    @classmethod
    def open(cls, msisdn: str) -> Ledger:
        return cls._create(cls.Opened, id=cls.id_for(msisdn), msisdn=msisdn)


class Lines(KabinetApplication):
    name = "benchlines"


class Ledgers(KabinetApplication):
    name = "benchledgers"

    def on_subscriber_activated(self, uow: UnitOfWork, event: SubscriberActivated) -> None:
        if uow.find(Ledger.id_for(event.msisdn)) is None:
            uow.add(Ledger.open(event.msisdn))
