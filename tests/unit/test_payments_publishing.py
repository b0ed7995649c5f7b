"""Payments' publishing table: it covers every domain event and publishes what the
code before the table published, byte for byte (tests/fixtures/payments_published.py)."""

from __future__ import annotations

from kabinet.eventtable import domain_events
from kabinet.idempotency import IdempotencyRecord
from services.payments.domain import Balance
from services.payments.history import OPERATIONS
from services.payments.publishing import to_public
from services.payments.topups import CardTopUp
from tests.fixtures.payments_published import FIXTURE, payments_events
from tests.fixtures.published import load, published

STORED = (Balance, CardTopUp, IdempotencyRecord)


def test_every_payments_domain_event_is_published_or_declared_internal() -> None:
    assert to_public.unlisted(domain_events(*STORED)) == []


def test_the_fixture_holds_one_event_of_every_payments_type() -> None:
    assert {type(e) for e in payments_events()} == set(domain_events(*STORED))


def test_payments_publishes_the_same_envelopes_as_before_the_table() -> None:
    assert published(to_public, payments_events()) == load(FIXTURE)


def test_every_ledger_event_is_an_operation_or_declared_not_one() -> None:
    assert OPERATIONS.unlisted(domain_events(Balance)) == []
