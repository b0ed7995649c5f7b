"""The public event contract: every registered event parses, round-trips and is documented."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts import auth, catalog, corporate, export
from contracts.envelope import Envelope
from contracts.payments import PaymentPosted
from contracts.registry import EVENTS, ContractError, parse_event
from contracts.subjects import PRODUCERS

SCHEMAS = export.json_schemas()
CLASSES = list(EVENTS.values())
IDS = [f"{cls.PRODUCER}/{cls.__name__}" for cls in CLASSES]

PATTERN_SAMPLES = {
    r"^7\d{10}$": "79001234567",
    r"^\d{2,15}$": "79217654321",
    r"^\d{4}$": "4242",
    r"^\d{10}(\d{2})?$": "7701234567",
    r"^\d{9}$": "770101001",
}
FORMAT_SAMPLES = {
    "uuid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    "date-time": "2025-03-01T09:30:00Z",
    "date": "2025-03-01",
}
SECRET_PARTS = {
    *("code", "otp", "password", "passwd", "hash", "secret"),
    *("pin", "puk", "cvv", "cvc", "pan", "token"),
}


def schema_of(cls: type[Envelope]) -> dict[str, Any]:
    return SCHEMAS[f"{cls.PRODUCER}/{cls.type_name()}/v{cls.SCHEMA_VERSION}"]


def sample_value(name: str, prop: dict[str, Any]) -> Any:
    """A valid value for one JSON Schema property; strings are unique per field name."""
    if "const" in prop:
        return prop["const"]
    if "enum" in prop:
        return prop["enum"][0]
    if "anyOf" in prop:
        return sample_value(name, next(p for p in prop["anyOf"] if p.get("type") != "null"))
    if "pattern" in prop:
        return PATTERN_SAMPLES[prop["pattern"]]
    if "format" in prop:
        return FORMAT_SAMPLES[prop["format"]]
    kind = prop["type"]
    if kind == "string":
        return f"{name}-1"
    if kind == "integer":
        return max(prop.get("minimum", 1), prop.get("exclusiveMinimum", 0) + 1)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "array":
        return [sample_value(name, prop["items"])]
    raise AssertionError(f"no sample for {name}: {prop}")


def sample(cls: type[Envelope]) -> dict[str, Any]:
    """Every field of the event, filled from its exported JSON Schema."""
    properties = schema_of(cls)["properties"]
    return {name: sample_value(name, prop) for name, prop in properties.items()}


def values_of(node: Any, wanted: str) -> Iterator[Any]:
    """Every value stored under the key `wanted`, anywhere in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == wanted:
                yield value
            yield from values_of(value, wanted)
    elif isinstance(node, list):
        for item in node:
            yield from values_of(item, wanted)


def looks_secret(name: str) -> bool:
    lowered = name.lower()
    if lowered.endswith("_token_id"):
        return False
    return bool(set(lowered.split("_")) & SECRET_PARTS) or "card_number" in lowered


def events_of(module: Any) -> list[type[Envelope]]:
    return [cls for cls in CLASSES if cls.__module__ == module.__name__]


OWN_KEYS: dict[type[Envelope], str] = {
    **{cls: "subject_id" for cls in events_of(auth)},
    **{cls: "client_id" for cls in events_of(corporate)},
    catalog.TariffPublished: "tariff_id",
    catalog.TariffRetired: "tariff_id",
    catalog.OptionPublished: "option_id",
    catalog.PriceChanged: "product_id",
}


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_every_event_round_trips_through_json(cls: type[Envelope]) -> None:
    event = parse_event(json.dumps(sample(cls)))

    assert type(event) is cls
    assert parse_event(event.model_dump_json().encode()) == event
    assert parse_event(event.model_dump(mode="json")) == event


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_an_unknown_extra_field_is_ignored(cls: type[Envelope]) -> None:
    event = parse_event({**sample(cls), "added_in_a_later_release": 42})

    assert event == parse_event(sample(cls))
    assert "added_in_a_later_release" not in event.model_dump()


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_a_missing_required_field_is_a_contract_error_naming_it(cls: type[Envelope]) -> None:
    required = schema_of(cls)["required"]
    assert {"event_id", "occurred_at", "position"} <= set(required)
    for field in required:
        data = {k: v for k, v in sample(cls).items() if k != field}
        with pytest.raises(ContractError, match=rf"invalid {cls.__name__}: .*\b{field}\b"):
            parse_event(data)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_a_wrong_producer_or_type_is_a_contract_error_naming_it(cls: type[Envelope]) -> None:
    other = next(p for p in PRODUCERS if p != cls.PRODUCER)
    with pytest.raises(ContractError, match=f"producer='{other}'"):
        parse_event({**sample(cls), "producer": other})
    with pytest.raises(ContractError, match="type='Nonexistent'"):
        parse_event({**sample(cls), "type": "Nonexistent"})
    with pytest.raises(ContractError, match="schema_version=99"):
        parse_event({**sample(cls), "schema_version": 99})


def test_a_bad_number_or_amount_is_a_contract_error_naming_the_field() -> None:
    with pytest.raises(ContractError, match=r"\bmsisdn\b"):
        parse_event({**sample(PaymentPosted), "msisdn": "89001234567"})
    with pytest.raises(ContractError, match=r"\bamount_kopecks\b"):
        parse_event({**sample(PaymentPosted), "amount_kopecks": 0})


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'{"schema_version": "1"}'])
def test_a_message_that_is_not_an_event_object_is_a_contract_error(payload: bytes) -> None:
    with pytest.raises(ContractError):
        parse_event(payload)


@pytest.mark.parametrize("cls", list(OWN_KEYS), ids=lambda cls: cls.__name__)
def test_events_without_a_number_are_partitioned_by_their_own_key(cls: type[Envelope]) -> None:
    event = parse_event({**sample(cls), "msisdn": None})

    assert event.msisdn is None
    assert event.partition_key == getattr(event, OWN_KEYS[cls])


def test_every_other_event_needs_a_number_and_is_partitioned_by_it() -> None:
    numbered = [cls for cls in CLASSES if cls.model_fields["msisdn"].is_required()]

    assert set(numbered) | set(OWN_KEYS) == set(CLASSES)
    for cls in numbered:
        assert parse_event(sample(cls)).partition_key == "79001234567"


def test_the_json_schema_export_covers_every_registered_event() -> None:
    expected = {f"{p}/{t}/v{v}" for p, t, v in EVENTS}

    assert set(SCHEMAS) == expected
    assert {cls.PRODUCER for cls in CLASSES} == set(PRODUCERS)
    for key, schema in SCHEMAS.items():
        assert schema["title"] == key.split("/")[1]
        assert schema["description"], f"{key} does not say what it means"
        assert "$ref" not in json.dumps(schema), f"{key} is not self-contained"


def test_money_is_integer_kopecks_and_times_are_datetimes() -> None:
    for key, schema in SCHEMAS.items():
        for name, prop in schema["properties"].items():
            types = {p.get("type") for p in prop.get("anyOf", [prop])} - {"null"}
            formats = {p.get("format") for p in prop.get("anyOf", [prop])} - {None}
            if name.endswith("_kopecks"):
                assert types == {"integer"}, f"{key}.{name}"
            if name.endswith("_at"):
                assert formats == {"date-time"}, f"{key}.{name}"


def test_no_field_name_in_any_schema_looks_like_a_secret() -> None:
    leaks = sorted(
        f"{key}.{name}"
        for key, schema in SCHEMAS.items()
        for properties in values_of(schema, "properties")
        for name in properties
        if looks_secret(name)
    )

    assert leaks == []


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("otp_code", True),
        ("password_hash", True),
        ("card_number", True),
        ("pan", True),
        ("refresh_token", True),
        ("puk", True),
        ("card_token_id", False),
        ("card_last4", False),
        ("request_id", False),
    ],
)
def test_the_secret_check_tells_secrets_from_references(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret


def test_the_asyncapi_document_has_one_channel_per_producer_and_resolvable_refs() -> None:
    document = export.asyncapi(namespace="t1")

    assert document["asyncapi"] == "3.0.0"
    assert set(document["channels"]) == set(PRODUCERS)
    for producer, channel in document["channels"].items():
        assert channel["address"] == f"t1.{producer}.{{partition}}.{{type}}"
        types = {key[1] for key in EVENTS if key[0] == producer}
        assert set(channel["parameters"]["type"]["enum"]) == types
        assert len(channel["messages"]) == len(types)
    refs = list(values_of(document, "$ref"))
    assert len(refs) > 2 * len(EVENTS)
    for ref in refs:
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]


def test_the_export_command_writes_every_schema_and_the_asyncapi_document(tmp_path: Path) -> None:
    export.main([str(tmp_path)])

    written = {
        str(path.relative_to(tmp_path / "schemas").with_suffix(""))
        for path in (tmp_path / "schemas").rglob("*.json")
    }
    assert written == set(SCHEMAS)
    document = json.loads((tmp_path / "asyncapi.json").read_text(encoding="utf-8"))
    assert document == json.loads(json.dumps(export.asyncapi()))
