"""Idempotency keys with Stripe semantics, stored as an aggregate beside the effect.

The record's id derives from (scope, key), so two requests with one key race on
the same aggregate version: exactly one save wins. The record is saved in the
same transaction as the money movement, so nothing is half-written.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kabinet.domain import KabinetAggregate, KabinetError, stable_id

MAX_KEY_LENGTH = 255


class IdempotencyMismatch(KabinetError):
    """The key was used before with another request body."""

    status = 422


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def check_key(key: str | None) -> str:
    if not key or not key.strip():
        raise KabinetError(
            "Idempotency-Key header is required for this request", field="Idempotency-Key"
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise KabinetError(
            "Idempotency-Key must be printable, at most 255 characters", field="Idempotency-Key"
        )
    return key


class IdempotencyRecord(KabinetAggregate):
    class Recorded(KabinetAggregate.Created):
        scope: str
        fingerprint: str
        status: int
        response: dict[str, Any]

    def __init__(self, scope: str, fingerprint: str, status: int, response: dict[str, Any]) -> None:
        self.scope = scope
        self.fingerprint = fingerprint
        self.status = status
        self.response = response

    @staticmethod
    def id_for(scope: str, key: str) -> Any:
        return stable_id("idempotency", scope, key)

    @classmethod
    def record(
        cls, scope: str, key: str, fingerprint: str, status: int, response: dict[str, Any]
    ) -> IdempotencyRecord:
        return cls._create(
            cls.Recorded,
            id=cls.id_for(scope, key),
            scope=scope,
            fingerprint=fingerprint,
            status=status,
            response=response,
        )

    def replay(self, fingerprint: str) -> dict[str, Any]:
        if fingerprint != self.fingerprint:
            raise IdempotencyMismatch(
                "this Idempotency-Key was already used with a different request",
                field="Idempotency-Key",
            )
        return self.response
