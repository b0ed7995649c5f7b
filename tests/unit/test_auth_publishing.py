"""Auth's publishing table: it covers every domain event and publishes what the code
before the table published, byte for byte (tests/fixtures/auth_published.py)."""

from __future__ import annotations

from kabinet.eventtable import domain_events
from services.auth.logins import Login
from services.auth.network import NetworkLogin
from services.auth.otp import OtpBox
from services.auth.publishing import to_public
from services.auth.sessions import Session
from tests.fixtures.auth_published import FIXTURE, auth_events
from tests.fixtures.published import load, published

AGGREGATES = (OtpBox, Login, Session, NetworkLogin)


def test_every_auth_domain_event_is_published_or_declared_internal() -> None:
    assert to_public.unlisted(domain_events(*AGGREGATES)) == []


def test_the_fixture_holds_one_event_of_every_auth_type() -> None:
    assert {type(e) for e in auth_events()} == set(domain_events(*AGGREGATES))


def test_auth_publishes_the_same_envelopes_as_before_the_table() -> None:
    assert published(to_public, auth_events()) == load(FIXTURE)
