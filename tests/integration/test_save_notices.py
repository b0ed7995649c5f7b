"""Saves send no PostgreSQL notifications: nothing listens, and each costs a global lock."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from kabinet.eventstore import persistence_env
from kabinet.settings import Settings
from services.payments.application import PaymentsApplication
from tests.integration.helpers import numbers, open_balances

pytestmark = pytest.mark.integration


def test_a_save_notifies_no_listener(settings: Settings) -> None:
    app = PaymentsApplication(env=persistence_env(settings, "payments"))
    channel = app.recorder.channel_name  # type: ignore[attr-defined]
    assert settings.database_url
    with psycopg.connect(settings.database_url, autocommit=True) as listener:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        (msisdn,) = numbers(1)
        open_balances(app, [msisdn])
        app.top_up(msisdn, 100_00, "key")
        listener.execute("SELECT 1")  # any notification committed before arrives with this
        assert list(listener.notifies(timeout=0)) == []
