"""Idempotency keys with Stripe semantics, stored as an aggregate beside the effect.

The record's id derives from (scope, key), so two requests with one key race on
the same aggregate version: exactly one save wins. The record is saved in the
same transaction as the money movement, so nothing is half-written.
`IdempotentCommands` runs a command once per key that way (decisions 5, 38).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Recording

from kabinet.domain import KabinetAggregate, KabinetError, stable_id
from kabinet.eventstore import KabinetApplication

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


Attempt = Callable[[], tuple[list[Any], dict[str, Any]]]
"""One try of a command: the aggregates it changed, and its answer (kept under the key)."""


class KeptRefusal(KabinetError):
    """A refusal that is its key's first answer: kept under the key as a success is, and
    raised again, the same, on a retry. Other refusals (an unknown number, a busy
    ledger) are not kept: a retry may succeed."""

    def stored(self) -> dict[str, Any]:
        """What is kept of the refusal: its problem, less the status."""
        return {"title": type(self).__name__, "detail": self.message, "field": self.field}

    @classmethod
    def from_stored(cls, status: int, stored: dict[str, Any]) -> KeptRefusal:
        """The refusal kept under a key, raised again as the same problem."""
        refusal = cls(stored["detail"], field=stored["field"])
        refusal.status = status
        return refusal


class IdempotentCommands:
    """Runs commands of `app` once per (scope, key): a command's aggregates are saved with
    the key's record, in one transaction, and a retry gets the first answer again.

    A conflicting save (another command changed an aggregate, or a concurrent request
    with the same key won) looks for the key's record and else tries again, so the loser
    of a race either replays the winner's answer or applies its own change afresh.

    `kept` are the refusals kept as first answers (their record is saved alone: nothing
    moved). `saved(answer, recordings)` finishes the answer of a fresh save (e.g. with
    the consistency token of what it wrote), `replayed(answer)` one kept before.
    """

    def __init__(
        self,
        app: KabinetApplication,
        *,
        kept: type[KeptRefusal],
        busy: str,
        saved: Callable[[dict[str, Any], list[Recording[UUID]]], dict[str, Any]],
        replayed: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> None:
        self.app = app
        self.kept = kept
        self.busy = busy
        self.saved = saved
        self.replayed = replayed

    def __call__(self, scope: str, key: str, body: Any, attempt: Attempt) -> dict[str, Any]:
        """Run `attempt` once per (scope, key) with this request `body`.

        The first try does not look for a record: a key used before makes the save
        conflict on the record's id (and an unkept refusal looks before it is raised),
        so a fresh request costs no extra read.
        """
        fingerprint = request_fingerprint(body)
        record_id = IdempotencyRecord.id_for(scope, key)

        def once() -> dict[str, Any]:
            refusal: KeptRefusal | None = None
            try:
                aggregates, response = attempt()
            except self.kept as refused:
                refusal, aggregates, response = refused, [], refused.stored()
            except KabinetError:
                if (first := self._replay(record_id, fingerprint)) is not None:
                    return first
                raise
            status = 201 if refusal is None else refusal.status
            record = IdempotencyRecord.record(scope, key, fingerprint, status, response)
            try:
                recordings = self.app.save(*aggregates, record)
            except IntegrityError:
                # The key was used before, or a concurrent write won: look, then retry.
                if (first := self._replay(record_id, fingerprint)) is not None:
                    return first
                raise
            if refusal is not None:
                raise refusal
            return self.saved(response, recordings)

        return self.app.retrying(once, busy=self.busy, field="Idempotency-Key")

    def _replay(self, record_id: UUID, fingerprint: str) -> dict[str, Any] | None:
        """The first answer under this key (a kept refusal is raised again), if any."""
        try:
            existing: IdempotencyRecord = self.app.repository.get(record_id)
        except AggregateNotFoundError:
            return None
        first = existing.replay(fingerprint)
        if existing.status >= 400:
            raise self.kept.from_stored(existing.status, first)
        return self.replayed(first)
