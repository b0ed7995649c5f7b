"""Account's publishing table: it covers every domain event and publishes what the
code before the table published, byte for byte (tests/fixtures/account_published.py)."""

from __future__ import annotations

from kabinet.eventtable import domain_events
from services.account.domain import Subscriber
from services.account.history import DESCRIPTIONS
from services.account.publishing import to_public
from tests.fixtures.account_published import FIXTURE, account_events
from tests.fixtures.published import load, published


def test_every_account_domain_event_is_published_or_declared_internal() -> None:
    assert to_public.unlisted(domain_events(Subscriber)) == []


def test_every_account_domain_event_has_its_words_in_the_history() -> None:
    assert DESCRIPTIONS.unlisted(domain_events(Subscriber)) == []


def test_the_fixture_holds_one_event_of_every_account_type() -> None:
    assert {type(e) for e in account_events()} == set(domain_events(Subscriber))


def test_account_publishes_the_same_envelopes_as_before_the_table() -> None:
    assert published(to_public, account_events()) == load(FIXTURE)
