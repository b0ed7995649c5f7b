"""Every published event class, found by producer, type and schema version."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from contracts import account, auth, catalog, corporate, detailing, network, payments
from contracts.envelope import Envelope

MODULES = (auth, account, catalog, payments, detailing, corporate, network)


class ContractError(ValueError):
    """A message that is not a valid event of the contract."""


def _concrete(module: Any) -> list[type[Envelope]]:
    found = []
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, Envelope)
            and value.__module__ == module.__name__
            and isinstance(value.model_fields["type"].default, str)
        ):
            found.append(value)
    return found


EVENTS: dict[tuple[str, str, int], type[Envelope]] = {
    (cls.PRODUCER, cls.model_fields["type"].default, cls.SCHEMA_VERSION): cls
    for module in MODULES
    for cls in _concrete(module)
}


def event_class(producer: str, type_: str, version: int = 1) -> type[Envelope]:
    try:
        return EVENTS[(producer, type_, version)]
    except KeyError:
        raise ContractError(
            f"unknown event: producer={producer!r}, type={type_!r}, schema_version={version}"
        ) from None


def parse_event(data: bytes | str | dict[str, Any]) -> Envelope:
    """Bytes of a message → its typed event; ContractError names what is wrong."""
    try:
        raw = data if isinstance(data, dict) else json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ContractError(f"payload is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ContractError("payload is not a JSON object")
    version = raw.get("schema_version", 1)
    if not isinstance(version, int):
        raise ContractError("schema_version must be an integer")
    cls = event_class(str(raw.get("producer")), str(raw.get("type")), version)
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise ContractError(f"invalid {cls.__name__}: {fields}") from None
