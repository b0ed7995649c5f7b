"""The HTTP SMS-provider adapter against a provider served on a real port, with its
hourly cap counted in PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import structlog
from fastapi import FastAPI, Request, Response

from kabinet.clock import ManualClock
from kabinet.effects import ProjectionStore
from kabinet.eventstore import persistence_env, schema_name
from kabinet.settings import Settings
from services.auth import sms as sms_module
from services.auth.manage import AuthApplication
from services.auth.quota import HourlyQuota
from services.auth.sms import HttpSmsProvider, Sms, SmsRefused
from suite.servers import free_port
from suite.testing import InProcess

pytestmark = pytest.mark.integration

KEY = "provider-key-1"


@dataclass
class Provider:
    """A stand-in SMS provider: answers `failures` with 503 first, then accepts."""

    port: int
    failures: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.post("/send")
        async def send(request: Request) -> Response:
            self.calls += 1
            if request.headers.get("Authorization") != f"Bearer {KEY}":
                return Response(status_code=401)
            if self.failures:
                return Response(status_code=self.failures.pop(0))
            self.received.append(await request.json())
            return Response(status_code=202)

        return api

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/send"


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    found = Provider(free_port())
    served = await InProcess("provider", found.app(), found.port).start()
    try:
        yield found
    finally:
        await served.stop()


@pytest.fixture
def quota(settings: Settings) -> Iterator[HourlyQuota]:
    """The counters in auth's schema (the application holds the connection pool)."""
    app = AuthApplication(env=persistence_env(settings, "auth"))
    store = ProjectionStore(app.factory.datastore, schema_name("auth", settings.namespace))  # type: ignore[attr-defined]
    found = HourlyQuota(store)
    found.setup()
    yield found
    app.close()


def adapter(
    provider: Provider, quota: HourlyQuota, clock: ManualClock, cap: int
) -> HttpSmsProvider:
    return HttpSmsProvider(provider.url, KEY, quota, clock, hourly_cap=cap, retries=3, backoff=0)


async def test_the_provider_never_gets_more_than_the_hourly_cap_and_the_cap_raises_an_alarm(
    provider: Provider, quota: HourlyQuota, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    sms = adapter(provider, quota, clock, cap=3)
    outcomes = []
    with structlog.testing.capture_logs() as logs:
        monkeypatch.setattr(sms_module, "log", structlog.get_logger("auth.sms"))
        for i in range(5):
            try:
                await asyncio.to_thread(sms.send, Sms("79001234567", f"text {i}", "otp"))
                outcomes.append("sent")
            except SmsRefused:
                outcomes.append("refused")
        clock.advance(timedelta(hours=1))
        await asyncio.to_thread(sms.send, Sms("79001234567", "next hour", "otp"))
    alarms = [line for line in logs if line["event"] == "sms_hourly_cap_reached"]
    assert outcomes == ["sent", "sent", "sent", "refused", "refused"]
    assert [m["text"] for m in provider.received] == ["text 0", "text 1", "text 2", "next hour"]
    assert len(alarms) == 2
    assert alarms[0]["log_level"] == "error" and alarms[0]["alarm"] is True
    assert alarms[0]["cap"] == 3
    assert "79001234567" not in json.dumps(logs)


async def test_a_failing_provider_is_retried_and_a_refusal_is_not(
    provider: Provider, quota: HourlyQuota, clock: ManualClock
) -> None:
    sms = adapter(provider, quota, clock, cap=100)
    provider.failures = [503, 503]
    await asyncio.to_thread(sms.send, Sms("79001234567", "after two failures", "otp"))
    calls_after_retries = provider.calls
    provider.failures = [400]
    with pytest.raises(SmsRefused):
        await asyncio.to_thread(sms.send, Sms("79001234567", "refused", "otp"))
    assert calls_after_retries == 3
    assert provider.calls == 4  # a 400 is final
    assert provider.received == [{"to": "79001234567", "text": "after two failures"}]


async def test_requests_only_queue_a_message_and_the_background_loop_sends_it(
    provider: Provider, quota: HourlyQuota, clock: ManualClock
) -> None:
    sms = adapter(provider, quota, clock, cap=100)
    loop = asyncio.create_task(sms.run())
    try:
        await sms.submit(Sms("79001234567", "queued", "otp"))
        await asyncio.wait_for(sms.queue.join(), timeout=30)
    finally:
        loop.cancel()
    assert provider.received == [{"to": "79001234567", "text": "queued"}]
