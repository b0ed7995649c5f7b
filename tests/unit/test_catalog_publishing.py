"""Catalog's publishing table: it covers every domain event and publishes what the
code before the table published, byte for byte (tests/fixtures/catalog_published.py)."""

from __future__ import annotations

from kabinet.eventtable import domain_events
from services.catalog.domain import Option, Tariff
from services.catalog.publishing import to_public
from tests.fixtures.catalog_published import FIXTURE, catalog_events
from tests.fixtures.published import load, published


def test_every_catalog_domain_event_is_published_or_declared_internal() -> None:
    assert to_public.unlisted(domain_events(Tariff, Option)) == []


def test_the_fixture_holds_one_event_of_every_catalog_type() -> None:
    assert {type(e) for e in catalog_events()} == set(domain_events(Tariff, Option))


def test_catalog_publishes_the_same_envelopes_as_before_the_table() -> None:
    assert published(to_public, catalog_events()) == load(FIXTURE)
