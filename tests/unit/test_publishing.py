"""The kit's event tables and publishing mapper, on a small aggregate of the test's own."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import pytest

from contracts.envelope import Envelope
from kabinet.domain import KabinetAggregate
from kabinet.eventtable import EventTable, UnlistedEvent, domain_events
from kabinet.publishing import Publishing, Rule

AT = datetime(2026, 3, 1, tzinfo=UTC)


class Meter(KabinetAggregate):
    class Installed(KabinetAggregate.Created):
        msisdn: str
        label: str

    class Read(KabinetAggregate.Event):
        msisdn: str
        units: int
        reader: str
        notes: dict[str, Any]

    class Sealed(KabinetAggregate.Event):
        msisdn: str
        intact: bool

    def __init__(self, msisdn: str, label: str) -> None:
        self.msisdn = msisdn

    @classmethod
    def install(cls, msisdn: str, label: str = "hall") -> Meter:
        return cls._create(cls.Installed, msisdn=msisdn, label=label)

    def read(self, units: int, notes: dict[str, Any] | None = None) -> None:
        self.trigger_event(
            self.Read, msisdn=self.msisdn, units=units, reader="anna", notes=notes or {}
        )

    def seal(self, intact: bool) -> None:
        self.trigger_event(self.Sealed, msisdn=self.msisdn, intact=intact)


class Plain(KabinetAggregate):
    """An aggregate created through its default `Created` event."""

    def __init__(self, name: str) -> None:
        self.name = name


class MeterEvent(Envelope):
    PRODUCER: ClassVar[str] = "meters"
    producer: Literal["meters"] = "meters"
    sequence: int = 0


class MeterInstalled(MeterEvent):
    type: Literal["MeterInstalled"] = "MeterInstalled"
    label: str


class MeterRead(MeterEvent):
    type: Literal["MeterRead"] = "MeterRead"
    units: int
    read_by: str
    unit: str = "kWh"
    doubled: int = 0
    place: str = ""
    mood: str = ""
    notes: dict[str, str] = {}


class SealChecked(MeterEvent):
    type: Literal["SealChecked"] = "SealChecked"
    outcome: Literal["intact", "broken"]


def meter_events() -> list[Any]:
    meter = Meter.install("79001234567")
    meter.read(7, {"place": "hall", "mood": "calm"})
    meter.seal(True)
    meter.seal(False)
    return meter.collect_events()


MAPPER = Publishing(
    "meters",
    {
        Meter.Installed: Rule(MeterInstalled),
        Meter.Read: Rule(
            MeterRead,
            rename={"read_by": "reader"},
            compute={"doubled": lambda e: 2 * e.units},
            const={"unit": "m3"},
            expand=lambda e: e.notes,
        ),
        Meter.Sealed: (
            Rule(SealChecked, when=lambda e: e.intact, const={"outcome": "intact"}),
            Rule(SealChecked, const={"outcome": "broken"}),
        ),
    },
    internal=(),
    sequenced=True,
)


def test_fields_named_alike_are_copied_and_the_mapper_fills_the_envelope() -> None:
    installed = meter_events()[0]

    published = MAPPER(installed, 12)

    assert isinstance(published, MeterInstalled)
    assert (published.label, published.msisdn, published.position) == ("hall", "79001234567", 12)
    assert (published.sequence, published.occurred_at) == (1, installed.timestamp)
    assert published.correlation_id == installed.correlation_id


def test_a_rule_renames_computes_lays_out_and_fixes_fields() -> None:
    published = MAPPER(meter_events()[1], 13)

    assert isinstance(published, MeterRead)
    assert (published.units, published.read_by, published.doubled) == (7, "anna", 14)
    assert (published.unit, published.place, published.mood) == ("m3", "hall", "calm")


def test_the_first_rule_whose_condition_holds_publishes() -> None:
    events = meter_events()

    outcomes = [MAPPER(e, i) for i, e in enumerate(events[2:], start=1)]

    assert [o.outcome for o in outcomes if isinstance(o, SealChecked)] == ["intact", "broken"]


def test_no_rule_whose_condition_holds_publishes_nothing() -> None:
    only_intact = Publishing(
        "meters",
        {Meter.Sealed: [Rule(SealChecked, when=lambda e: e.intact, const={"outcome": "intact"})]},
        internal=(),
    )

    assert only_intact(meter_events()[3], 1) is None


def _stored_before(event: Any, *missing: str) -> Any:
    """The event as eventsourcing loads one stored before it had the `missing` attributes."""
    older = object.__new__(type(event))
    state = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    older.__dict__.update({k: v for k, v in state.items() if k not in missing})
    return older


def test_an_event_stored_before_it_had_an_attribute_publishes_the_contracts_default() -> None:
    read = meter_events()[1]
    mapper = Publishing(
        "meters", {Meter.Read: Rule(MeterRead, rename={"read_by": "reader"})}, internal=()
    )

    assert mapper(_stored_before(read, "notes"), 1).notes == {}  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="read_by"):  # required: no default to fall back on
        mapper(_stored_before(read, "reader"), 1)


def test_an_internal_event_publishes_nothing() -> None:
    quiet = Publishing(
        "meters", {Meter.Installed: Rule(MeterInstalled)}, internal={Meter.Read, Meter.Sealed}
    )

    assert [quiet(e, i) is None for i, e in enumerate(meter_events(), start=1)] == [
        False,
        True,
        True,
        True,
    ]


def test_an_event_neither_mapped_nor_internal_is_refused_by_name() -> None:
    partial = Publishing("meters", {Meter.Installed: Rule(MeterInstalled)}, internal=())

    with pytest.raises(UnlistedEvent, match="Meter.Read"):
        partial(meter_events()[1], 2)
    assert partial.unlisted(domain_events(Meter)) == [
        "tests.unit.test_publishing:Meter.Read",
        "tests.unit.test_publishing:Meter.Sealed",
    ]


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        (Rule(MeterRead, rename={"read_by": "reader"}, const={"colour": "red"}), "colour"),
        (Rule(MeterRead, rename={"read_by": "writer"}), "writer"),
        (Rule(MeterRead), "nothing fills read_by"),
        (Rule(MeterRead, rename={"read_by": "reader"}, const={"read_by": "x"}), "twice"),
    ],
)
def test_a_rule_that_cannot_fill_its_contract_is_refused_when_the_table_is_built(
    rule: Rule, complaint: str
) -> None:
    with pytest.raises(TypeError, match=complaint):
        Publishing("meters", {Meter.Read: rule}, internal=())


def test_only_the_last_of_an_events_rules_may_publish_unconditionally() -> None:
    with pytest.raises(TypeError, match="only the last"):
        Publishing(
            "meters",
            {Meter.Sealed: (Rule(SealChecked), Rule(SealChecked, when=lambda e: e.intact))},
            internal=(),
        )


def test_a_service_adds_envelope_fields_of_its_own_to_every_event() -> None:
    labelled = Publishing(
        "meters",
        {Meter.Installed: Rule(MeterInstalled)},
        internal=(),
        envelope={"causation_id": lambda e: f"meter:{e.originator_version}"},
    )

    assert labelled(meter_events()[0], 1).causation_id == "meter:1"  # type: ignore[union-attr]


def test_domain_events_lists_what_an_aggregate_stores_and_not_its_bases() -> None:
    assert domain_events(Meter) == [Meter.Installed, Meter.Read, Meter.Sealed]
    assert domain_events(Plain) == [Plain.Created]


def test_an_event_table_maps_exact_classes_and_names_the_events_of_nothing() -> None:
    table: EventTable[str] = EventTable(
        "meter history", {Meter.Read: "read"}, nothing={Meter.Installed}
    )
    installed, read, sealed = meter_events()[:3]

    assert (table.lookup(read), table.lookup(installed)) == ("read", None)
    with pytest.raises(UnlistedEvent, match="meter history"):
        table.lookup(sealed)
    with pytest.raises(ValueError, match="both"):
        EventTable("meter history", {Meter.Read: "read"}, nothing={Meter.Read})
