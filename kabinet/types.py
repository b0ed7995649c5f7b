"""Pydantic field types for HTTP models: numbers and money parsed once, at the edge."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

from kabinet.money import format_rub, parse_rub
from kabinet.msisdn import normalize_msisdn


def _msisdn(value: Any) -> str:
    if not isinstance(value, str | int):
        raise ValueError("number must be a string like +7 900 123-45-67")
    return normalize_msisdn(str(value))


def _kopecks(value: Any) -> int:
    if not isinstance(value, str | int | float):
        raise ValueError("amount must be roubles like '100.00'")
    return parse_rub(value)


Msisdn = Annotated[str, BeforeValidator(_msisdn)]
"""Accepts `+7 (900) 123-45-67`, `8900…`; holds `79001234567`."""

Rub = Annotated[int, BeforeValidator(_kopecks), PlainSerializer(format_rub, return_type=str)]
"""Accepts '100.00' or 100 in JSON; holds kopecks; serialises back to '100.00'."""
