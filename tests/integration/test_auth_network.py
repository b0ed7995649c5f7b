"""Network login ("without password" from the operator's network) on real PostgreSQL and
NATS: the number comes from a trusted proxy's header, the phone confirms by USSD."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.settings import GatewaySettings
from kabinet.clock import ManualClock
from kabinet.settings import Settings
from suite.testing import Stack
from tests.integration.helpers import activate_subscriber, numbers, signing_stack

pytestmark = pytest.mark.integration

PROXY = "10.20.0.5"
NETWORK = "/api/v1/auth/network"


@pytest.fixture
async def network_stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    proxies = GatewaySettings(trusted_proxies="10.20.0.0/16")
    async with signing_stack(settings, clock, gateway=proxies) as stack:
        yield stack


def through_proxy(stack: Stack) -> httpx.AsyncClient:
    """A client whose requests reach the gateway from the operator's proxy address."""
    transport = httpx.ASGITransport(app=stack.running["gateway"].app, client=(PROXY, 40_000))
    return httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=30.0)


async def answer_push(stack: Stack, msisdn: str, key: str) -> str:
    """Play the phone: read the USSD push and answer it through auth's callback."""
    async with stack.client("auth") as auth:
        pushes = (await auth.get("/dev/ussd", params={"msisdn": msisdn})).json()["pushes"]
        request_id: str = pushes[0]["request_id"]
        answered = await auth.post(
            "/ussd/answers", json={"request_id": request_id, "msisdn": msisdn, "answer": key}
        )
    assert answered.status_code == 204, answered.text
    return request_id


async def test_network_login_completes_only_after_the_phone_confirms_and_only_via_the_proxy(
    network_stack: Stack,
) -> None:
    (msisdn,) = numbers(1)
    enriched = {"X-Msisdn": msisdn, "X-Forwarded-For": "100.64.1.7"}
    async with network_stack.client() as direct, through_proxy(network_stack) as proxied:
        activated = await activate_subscriber(direct, network_stack.ops_headers, msisdn)
        await network_stack.running["auth"].app.state.runtime.wait_for(activated, msisdn)
        started = await proxied.post(NETWORK, json={}, headers=enriched)
        request_id = started.json()["request_id"]
        waiting = await proxied.post(f"{NETWORK}/{request_id}", json={}, headers=enriched)
        assert await answer_push(network_stack, msisdn, "1") == request_id
        from_elsewhere = await direct.post(f"{NETWORK}/{request_id}", json={}, headers=enriched)
        completed = await proxied.post(f"{NETWORK}/{request_id}", json={}, headers=enriched)
        access = {"Authorization": f"Bearer {completed.json()['access_token']}"}
        dashboard = await direct.get("/api/v1/me/dashboard", headers=access)
        sessions = await direct.get("/api/v1/auth/sessions", headers=access)
        twice = await proxied.post(f"{NETWORK}/{request_id}", json={}, headers=enriched)
    assert started.status_code == 202, started.text
    assert waiting.status_code == 202 and waiting.json()["status"] == "pending"
    assert from_elsewhere.status_code == 403
    assert completed.status_code == 200, completed.text
    assert dashboard.json()["msisdn"] == msisdn
    assert sessions.json()["sessions"][0]["method"] == "network"
    assert sessions.json()["sessions"][0]["ip"] == "100.64.1.7"  # the proxy's client
    assert twice.status_code == 401


async def test_a_forged_number_header_from_outside_the_operators_network_is_ignored(
    network_stack: Stack,
) -> None:
    (msisdn,) = numbers(1)
    async with network_stack.client() as direct, network_stack.client("auth") as auth:
        activated = await activate_subscriber(direct, network_stack.ops_headers, msisdn)
        await network_stack.running["auth"].app.state.runtime.wait_for(activated, msisdn)
        forged = await direct.post(NETWORK, json={}, headers={"X-Msisdn": msisdn})
        pushes = await auth.get("/dev/ussd", params={"msisdn": msisdn})
    assert forged.status_code == 403
    assert forged.json()["field"] == "network"
    assert pushes.json()["pushes"] == []


async def test_a_declined_push_or_another_number_never_completes_the_login(
    network_stack: Stack,
) -> None:
    anna, boris = numbers(2)
    async with network_stack.client() as direct, through_proxy(network_stack) as proxied:
        for msisdn in (anna, boris):
            activated = await activate_subscriber(direct, network_stack.ops_headers, msisdn)
            await network_stack.running["auth"].app.state.runtime.wait_for(activated, msisdn)
        started = await proxied.post(NETWORK, json={}, headers={"X-Msisdn": anna})
        request_id = started.json()["request_id"]
        as_boris = await proxied.post(
            f"{NETWORK}/{request_id}", json={}, headers={"X-Msisdn": boris}
        )
        await answer_push(network_stack, anna, "2")
        declined = await proxied.post(
            f"{NETWORK}/{request_id}", json={}, headers={"X-Msisdn": anna}
        )
    assert as_boris.status_code == 401
    assert declined.status_code == 401
