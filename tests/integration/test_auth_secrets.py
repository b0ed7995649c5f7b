"""No code, password, hash or token appears in any published event or any log line.

account, auth and the gateway run as real processes (`kabinet serve`) logging at INFO
to files; every sign-in path is walked through the gateway; then every message of every
stream and every log line is searched for every secret the run produced.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic_settings import BaseSettings

from contracts.subjects import PRODUCERS, stream_name
from gateway.settings import GatewaySettings
from kabinet.effects import ProjectionStore
from kabinet.eventstore import persistence_env, schema_name
from kabinet.settings import Settings
from services.auth.manage import AuthApplication
from services.auth.settings import AuthSettings
from suite.stack import serve_command
from suite.testing import env_of, wait_until
from tests.integration.helpers import (
    activate_subscriber,
    code_from_outbox,
    jetstream,
    numbers,
    smtp_server,
)

pytestmark = pytest.mark.integration

AUTH = "/api/v1/auth"
PROCESSES = ("account", "auth", "gateway")


@asynccontextmanager
async def served(settings: Settings, logs: Path, *own: BaseSettings) -> AsyncIterator[None]:
    """The processes, with these services' own settings, each logging to
    `logs/<name>.log`; stopped with SIGTERM."""
    children: list[subprocess.Popen[bytes]] = []
    try:
        for name in PROCESSES:
            with (logs / f"{name}.log").open("wb") as sink:
                env = env_of(settings, *own, KABINET_LOG_LEVEL="INFO", KABINET_LOG_JSON="true")
                children.append(subprocess.Popen(serve_command(name), env=env, stderr=sink))
        async with httpx.AsyncClient() as probe:
            for name in PROCESSES:

                async def ready(url: str = settings.url_of(name)) -> bool:
                    try:
                        return (await probe.get(f"{url}/readyz")).status_code == 200
                    except httpx.HTTPError:
                        return False

                await wait_until(ready)
        yield
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(30)


class Secrets:
    """Everything the run must keep out of events and logs."""

    def __init__(self) -> None:
        self.found: set[str] = set()

    def add(self, *values: str | None) -> None:
        self.found.update(v for v in values if v and len(v) >= 6)

    def tokens(self, answer: httpx.Response) -> dict[str, Any]:
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        access, refresh = body["access_token"], body["refresh_token"]
        self.add(access, access.rsplit(".", 1)[1], refresh, refresh.split(".", 1)[1])
        return body


async def walk_every_path(
    client: httpx.AsyncClient,
    auth: httpx.AsyncClient,
    ops: dict[str, str],
    msisdn: str,
    secrets: Secrets,
) -> None:
    """Codes (wrong and right), passwords (set, wrong, changed, reset), refresh and its
    reuse, notices, network login, logout."""
    activated = await activate_subscriber(client, ops, msisdn, email="anna@example.ru")
    token = {"Kabinet-Consistency-Token": activated}

    async def code_login(purpose: str = "login") -> dict[str, Any]:
        asked = await client.post(
            f"{AUTH}/otp", json={"msisdn": msisdn, "purpose": purpose}, headers=token
        )
        code = await code_from_outbox(client, msisdn)
        secrets.add(code)
        body = {"msisdn": msisdn, "request_id": asked.json()["request_id"]}
        await client.post(f"{AUTH}/otp/verify", json={**body, "code": wrong(code)})
        return secrets.tokens(await client.post(f"{AUTH}/otp/verify", json={**body, "code": code}))

    first = await code_login()
    me = {"Authorization": f"Bearer {first['access_token']}"}
    passwords = ["первый-пароль-1", "второй-пароль-2", "третий-пароль-3", "неверный-пароль"]
    secrets.add(*passwords)
    await client.put(f"{AUTH}/password", json={"new_password": passwords[0]}, headers=me)
    await client.post(f"{AUTH}/login", json={"msisdn": msisdn, "password": passwords[3]})
    second = secrets.tokens(
        await client.post(f"{AUTH}/login", json={"msisdn": msisdn, "password": passwords[0]})
    )
    change = {"current_password": passwords[0], "new_password": passwords[1]}
    await client.put(
        f"{AUTH}/password", json=change,
        headers={"Authorization": f"Bearer {second['access_token']}"},
    )  # fmt: skip
    refreshed = secrets.tokens(
        await client.post(f"{AUTH}/refresh", json={"refresh_token": second["refresh_token"]})
    )
    await client.post(f"{AUTH}/refresh", json={"refresh_token": second["refresh_token"]})
    await client.post(f"{AUTH}/refresh", json={"refresh_token": refreshed["refresh_token"]})
    reset = await code_login("password_reset")
    reset_me = {"Authorization": f"Bearer {reset['access_token']}"}
    await client.put(f"{AUTH}/password", json={"new_password": passwords[2]}, headers=reset_me)
    await client.put("/api/v1/me/security", json={"notify_via": ["sms", "email"]}, headers=reset_me)
    await code_login()  # notified by SMS and e-mail
    network = {"X-Msisdn": msisdn}
    started = await client.post(f"{AUTH}/network", json={}, headers=network)
    request_id = started.json()["request_id"]
    answered = await auth.post(
        "/ussd/answers", json={"request_id": request_id, "msisdn": msisdn, "answer": "1"}
    )
    assert answered.status_code == 204, answered.text
    joined = secrets.tokens(
        await client.post(f"{AUTH}/network/{request_id}", json={}, headers=network)
    )
    logout = await client.post(
        f"{AUTH}/logout", headers={"Authorization": f"Bearer {joined['access_token']}"}
    )
    assert logout.status_code == 204


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def stored_secrets(settings: Settings) -> set[str]:
    """The digests auth keeps of codes, passwords and refresh tokens, and its own keys."""
    app = AuthApplication(env=persistence_env(settings, "auth"))
    try:
        found = set()
        for notification in app.recorder.select_notifications(1, 10_000):
            event = app.mapper.to_domain_event(notification)
            found.add(getattr(event, "digest", None))
        store = ProjectionStore(app.factory.datastore, schema_name("auth", settings.namespace))  # type: ignore[attr-defined]
        for row in store.query("SELECT value FROM {schema}.auth_secret"):
            found.update(line for line in row["value"].splitlines() if "-----" not in line)
        return {f for f in found if f}
    finally:
        app.close()


async def published(settings: Settings) -> list[str]:
    """Every message of every producer's stream, as published."""
    messages = []
    async with jetstream(settings) as (_, js):
        for producer in PRODUCERS:
            info = await js.stream_info(stream_name(producer, settings.namespace))
            if not info.state.messages:
                continue
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                messages.append((await js.get_msg(info.config.name, seq)).data.decode())
    return messages


@pytest.fixture
def smtp() -> Iterator[int]:
    with smtp_server() as (_, port):
        yield port


async def test_no_code_password_hash_or_token_reaches_an_event_or_a_log_line(
    settings: Settings, smtp: int, tmp_path: Path
) -> None:
    (msisdn,) = numbers(1)
    auth_settings = AuthSettings(smtp_host="127.0.0.1", smtp_port=smtp)
    gateway_settings = GatewaySettings(trusted_proxies="127.0.0.1/32")
    secrets = Secrets()
    async with (
        served(settings, tmp_path, auth_settings, gateway_settings),
        httpx.AsyncClient(base_url=settings.url_of("gateway"), timeout=30) as client,
        httpx.AsyncClient(base_url=settings.url_of("auth"), timeout=30) as auth,
    ):
        await walk_every_path(client, auth, {"Authorization": f"Bearer {settings.ops_token}"},
                              msisdn, secrets)  # fmt: skip

        async def notified() -> bool:
            outbox = (await client.get("/dev/sms", params={"msisdn": msisdn})).json()
            return any(m["kind"] == "login_notice" for m in outbox["messages"])

        await wait_until(notified, timeout=30)
        events = await published(settings)
    secrets.add(*stored_secrets(settings))
    lines = [
        line for name in PROCESSES for line in (tmp_path / f"{name}.log").read_text().splitlines()
    ]
    auth_types = {json.loads(e)["type"] for e in events if json.loads(e)["producer"] == "auth"}
    assert {
        "OtpIssued", "OtpVerified", "LoginSucceeded", "LoginFailed",
        "PasswordChanged", "SessionStarted", "SessionEnded",
    } <= auth_types  # fmt: skip
    assert any("sms_sent_to_dev_outbox" in line for line in lines)
    assert any("login_notice_mailed" in line for line in lines)
    assert len(secrets.found) > 20
    for secret in secrets.found:
        assert not [e for e in events if secret in e], "a secret in an event"
        assert not [line for line in lines if secret in line], "a secret in a log line"
