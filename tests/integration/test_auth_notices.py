"""Login notices: a new login is told by SMS and by e-mail (to a real SMTP server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kabinet.clock import ManualClock
from kabinet.settings import Settings
from services.auth.settings import AuthSettings
from tests.integration.helpers import (
    Inbox,
    activate_subscriber,
    numbers,
    signed_in,
    signing_stack,
    smtp_server,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as found:
        yield found


async def test_a_new_login_is_notified_by_email_and_sms_as_the_subscriber_chose(
    settings: Settings, clock: ManualClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    (msisdn,) = numbers(1)
    smtp_settings = AuthSettings(smtp_host="127.0.0.1", smtp_port=port)
    async with (
        signing_stack(settings, clock, smtp_settings) as stack,
        stack.client() as client,
    ):
        activated = await activate_subscriber(
            client, stack.ops_headers, msisdn, email="anna@example.ru"
        )
        first = await signed_in(client, msisdn, activated)
        access = {"Authorization": f"Bearer {first.json()['access_token']}"}
        chosen = await client.put(
            "/api/v1/me/security", json={"notify_via": ["sms", "email"]}, headers=access
        )
        shown = await client.get("/api/v1/me/security", headers=access)
        client.headers["User-Agent"] = "KabinetApp/3.1"
        await signed_in(client, msisdn, channel="web")
        mail = await inbox.next()
        outbox = await client.get("/dev/sms", params={"msisdn": msisdn})
    assert chosen.status_code == 200, chosen.text
    assert shown.json() == {
        "notify_via": ["sms", "email"],
        "email": "anna@example.ru",
        "password_set": False,
    }
    assert mail["To"] == "anna@example.ru"
    assert mail["Subject"] == "Вход в личный кабинет"
    assert "сайт" in mail.get_content() and "127.0.0.1" in mail.get_content()
    notices = [m for m in outbox.json()["messages"] if m["kind"] == "login_notice"]
    assert len(notices) == 1
    assert notices[0]["text"] == mail.get_content().strip()
    assert inbox.messages.empty()  # the first login came before the choice: no notice


async def test_email_notices_need_an_address_on_the_profile(
    settings: Settings, clock: ManualClock
) -> None:
    (msisdn,) = numbers(1)
    async with signing_stack(settings, clock) as stack, stack.client() as client:
        activated = await activate_subscriber(client, stack.ops_headers, msisdn)
        tokens = await signed_in(client, msisdn, activated)
        refused = await client.put(
            "/api/v1/me/security",
            json={"notify_via": ["email"]},
            headers={"Authorization": f"Bearer {tokens.json()['access_token']}"},
        )
    assert refused.status_code == 422
    assert refused.json()["field"] == "notify_via"
