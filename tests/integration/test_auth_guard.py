"""The gateway's guard: every subscriber route acts on the token's number only; a
tampered or expired token is refused; corporate routes need an admin of that client."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from contracts.corporate import CorporateClientRegistered
from gateway.deps import CorporateAdmin
from kabinet.clock import ManualClock
from kabinet.streams import ensure_stream, producer_stream_config
from services.auth.settings import AuthSettings
from suite.testing import Stack
from tests.integration.helpers import (
    activate_subscriber,
    jetstream,
    numbers,
    publish_as_producer,
    sign_in,
    signed_in,
)

pytestmark = pytest.mark.integration

ME = "/api/v1/me"
TOKEN = "Kabinet-Consistency-Token"
READS = [
    "/dashboard", "/profile", "/tariff", "/options", "/blacklist", "/subscriptions",
    "/support/questions", "/history", "/balance", "/operations", "/promised-payment",
    "/loyalty", "/autopay", "/low-balance-alert", "/security",
]  # fmt: skip
WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("PATCH", "/profile", {"language": "en", "email": "a@example.ru"}),
    ("PUT", "/tariff", {"tariff_id": "unlimited"}),
    ("PUT", "/options/internet_5gb", None),
    ("POST", "/blacklist", {"number": "79217654321"}),
    ("DELETE", "/blacklist/79217654321", None),
    ("POST", "/support/questions", {"topic": "other", "text": "Где мой баланс?"}),
    ("POST", "/topups", {"amount": "100.00"}),
    ("PUT", "/low-balance-alert", {"level": "50.00"}),
    ("PUT", "/security", {"notify_via": ["sms", "email"]}),
    ("POST", "/suspension", {"reason": "lost"}),
    ("DELETE", "/suspension", None),
]


async def views(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    found = {}
    for path in [*(ME + r for r in READS), "/api/v1/auth/sessions"]:
        answer = await client.get(path, headers=headers)
        body = answer.json()
        window = ("from", "to")  # the operations' default window moves with the clock
        found[path] = (answer.status_code, {k: v for k, v in body.items() if k not in window})
    return found


async def test_a_subscribers_token_reaches_only_their_own_number_in_every_route_family(
    auth_stack: Stack,
) -> None:
    anna, boris = numbers(2)
    async with auth_stack.client() as client:
        tokens = {}
        for msisdn in (anna, boris):
            activated = await activate_subscriber(client, auth_stack.ops_headers, msisdn)
            for name in ("payments", "auth"):
                await auth_stack.running[name].app.state.runtime.wait_for(activated, msisdn)
            tokens[msisdn] = await sign_in(client, msisdn)
        boris_before = await views(client, tokens[boris])
        written, after = [], ""
        for index, (method, path, body) in enumerate(WRITES):
            headers = {**tokens[anna], "Idempotency-Key": f"iso-{index}", TOKEN: after}
            answer = await client.request(method, ME + path, json=body, headers=headers)
            written.append((path, answer))
            after = answer.headers.get(TOKEN) or after
        anna_after = await views(client, tokens[anna])
        boris_after = await views(client, tokens[boris])
    for path, answer in written:
        assert answer.status_code < 300, (path, answer.text)
        assert boris not in answer.text, path
    for path, (status, body) in anna_after.items():
        assert status == 200 or path.endswith("/autopay"), (path, body)
        assert boris not in json.dumps(body), path
    assert anna_after[ME + "/profile"][1]["msisdn"] == anna
    assert anna_after[ME + "/balance"][1]["balance"] == "100.00"
    assert boris_after == boris_before


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_a_tampered_forged_or_expired_token_is_refused(
    auth_stack: Stack, clock: ManualClock
) -> None:
    anna, boris = numbers(2)
    async with auth_stack.client() as client:
        activated = await activate_subscriber(client, auth_stack.ops_headers, anna)
        good = (await sign_in(client, anna, activated))["Authorization"].removeprefix("Bearer ")
        header, payload, signature = good.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        other_number = _b64({**claims, "sub": boris, "msisdn": boris})
        forged_key = jwt.encode(
            {**claims, "sub": boris, "msisdn": boris},
            Ed25519PrivateKey.generate(),
            algorithm="EdDSA",
            headers={"kid": jwt.get_unverified_header(good)["kid"]},
        )
        unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{other_number}."
        cases = {
            "tampered payload": f"{header}.{other_number}.{signature}",
            "other key": forged_key,
            "no signature": unsigned,
            "garbage": "not-a-token",
        }
        answers = {
            case: await client.get(f"{ME}/profile", headers={"Authorization": f"Bearer {t}"})
            for case, t in cases.items()
        }
        fine = await client.get(f"{ME}/profile", headers={"Authorization": f"Bearer {good}"})
        clock.advance(timedelta(seconds=AuthSettings().access_ttl))
        expired = await client.get(f"{ME}/profile", headers={"Authorization": f"Bearer {good}"})
    for case, answer in answers.items():
        assert answer.status_code == 401, case
        assert answer.json()["field"] == "Authorization", case
    assert fine.status_code == 200
    assert expired.status_code == 401


async def register_client(stack: Stack, client_id: str, contact: str) -> None:
    """The corporate service's event, as its relay would publish it; waits until auth has it."""
    event = CorporateClientRegistered(
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        position=1,
        client_id=client_id,
        company_name="ООО «Ромашка»",
        inn="7701234567",
        region="moscow",
        admin_subject_id=f"admin-{client_id}",
        contact_msisdn=contact,
        how="application",
    )
    settings = stack.settings
    async with jetstream(settings) as (_, js):
        await ensure_stream(js, producer_stream_config("corporate", settings))
        await publish_as_producer(js, settings, event)
    assert await stack.running["auth"].app.state.runtime.wait_for("corporate:1", client_id)


async def test_a_corporate_admin_token_reaches_its_own_client_only(auth_stack: Stack) -> None:
    gateway: FastAPI = auth_stack.running["gateway"].app

    @gateway.get("/api/v1/corporate/{client_id}/probe")
    async def probe(client_id: str, admin: CorporateAdmin) -> dict[str, Any]:
        return {"client_id": client_id, "admin": admin.claims.subject}

    contact, subscriber = numbers(2)
    async with auth_stack.client() as client:
        await register_client(auth_stack, "acme", contact)
        signed = await signed_in(client, contact, purpose="corporate_login")
        admin = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        activated = await activate_subscriber(client, auth_stack.ops_headers, subscriber)
        plain = await sign_in(client, subscriber, activated)
        own = await client.get("/api/v1/corporate/acme/probe", headers=admin)
        other = await client.get("/api/v1/corporate/other/probe", headers=admin)
        as_subscriber = await client.get("/api/v1/corporate/acme/probe", headers=plain)
        admin_on_me = await client.get(f"{ME}/dashboard", headers=admin)
        anonymous = await client.get("/api/v1/corporate/acme/probe")
    assert signed.json()["subject"] == {
        "id": "admin-acme",
        "kind": "corporate_admin",
        "client_id": "acme",
    }
    assert own.json() == {"client_id": "acme", "admin": "admin-acme"}
    assert other.status_code == 403
    assert as_subscriber.status_code == 403
    assert admin_on_me.status_code == 403
    assert anonymous.status_code == 401


async def test_a_staff_route_still_takes_only_the_staff_credential(auth_stack: Stack) -> None:
    (msisdn,) = numbers(1)
    async with auth_stack.client() as client:
        activated = await activate_subscriber(client, auth_stack.ops_headers, msisdn)
        subscriber = await sign_in(client, msisdn, activated)
        refused = await client.post("/ops/v1/subscribers", json={}, headers=subscriber)
    assert refused.status_code == 401
