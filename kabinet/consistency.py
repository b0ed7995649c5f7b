"""Consistency tokens: the positions a write produced, e.g. `payments:42,account:7`.

A command answers with the token (body field `consistency_token` and header
`Kabinet-Consistency-Token`); a read that sends it back waits, bounded, until the
projections it reads have applied those positions.
"""

from __future__ import annotations

import re

from kabinet.domain import KabinetError

HEADER = "Kabinet-Consistency-Token"
_PART = re.compile(r"^([a-z]+):(\d{1,18})$")


def encode(positions: dict[str, int]) -> str:
    return ",".join(f"{producer}:{position}" for producer, position in sorted(positions.items()))


def decode(token: str | None) -> dict[str, int]:
    if not token:
        return {}
    positions: dict[str, int] = {}
    for part in token.split(","):
        match = _PART.match(part.strip())
        if not match:
            raise KabinetError("consistency token is malformed", field="consistency_token")
        producer, position = match.group(1), int(match.group(2))
        positions[producer] = max(position, positions.get(producer, 0))
    return positions


def merge(*tokens: str | None) -> str:
    merged: dict[str, int] = {}
    for token in tokens:
        for producer, position in decode(token).items():
            merged[producer] = max(position, merged.get(producer, 0))
    return encode(merged)
