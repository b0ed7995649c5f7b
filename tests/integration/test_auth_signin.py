"""Signing in with SMS codes through the gateway, on real PostgreSQL and NATS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from kabinet.clock import ManualClock
from kabinet.settings import Settings
from services.auth.settings import AuthSettings
from suite.testing import Stack
from tests.integration.helpers import (
    activate_subscriber,
    code_from_outbox,
    numbers,
    signing_stack,
)

pytestmark = pytest.mark.integration

OTP = "/api/v1/auth/otp"
VERIFY = "/api/v1/auth/otp/verify"


async def ask_code(
    client: httpx.AsyncClient, msisdn: str, token: str | None = None, purpose: str = "login"
) -> httpx.Response:
    headers = {"Kabinet-Consistency-Token": token} if token else {}
    return await client.post(OTP, json={"msisdn": msisdn, "purpose": purpose}, headers=headers)


async def verify(
    client: httpx.AsyncClient, msisdn: str, request_id: str, code: str
) -> httpx.Response:
    body = {"msisdn": msisdn, "request_id": request_id, "code": code}
    return await client.post(VERIFY, json=body)


async def first_code(stack: Stack, client: httpx.AsyncClient) -> tuple[str, httpx.Response, str]:
    """A newly activated number asks for a code: (number, the answer, the code it got)."""
    (msisdn,) = numbers(1)
    activated = await activate_subscriber(client, stack.ops_headers, msisdn)
    asked = await ask_code(client, msisdn, activated)
    return msisdn, asked, await code_from_outbox(client, msisdn)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_an_activated_number_signs_in_with_an_sms_code_and_reads_its_dashboard(
    auth_stack: Stack,
) -> None:
    async with auth_stack.client() as client:
        msisdn, asked, code = await first_code(auth_stack, client)
        signed = await verify(client, msisdn, asked.json()["request_id"], code)
        access = signed.json()["access_token"]
        dashboard = await client.get(
            "/api/v1/me/dashboard", headers={"Authorization": f"Bearer {access}"}
        )
        without = await client.get("/api/v1/me/dashboard")
    assert asked.status_code == 202
    assert signed.status_code == 200, signed.text
    assert signed.json()["subject"] == {"id": msisdn, "kind": "subscriber", "client_id": None}
    assert 0 < signed.json()["expires_in"] <= 600
    assert dashboard.status_code == 200, dashboard.text
    assert dashboard.json()["msisdn"] == msisdn
    assert dashboard.json()["owner_name"] == "Анна Сергеевна Орлова"
    assert without.status_code == 401


async def test_a_second_code_request_cancels_the_first_code(auth_stack: Stack) -> None:
    async with auth_stack.client() as client:
        msisdn, first, old_code = await first_code(auth_stack, client)
        second = await ask_code(client, msisdn)
        second_code = await code_from_outbox(client, msisdn)
        old = await verify(client, msisdn, first.json()["request_id"], old_code)
        new = await verify(client, msisdn, second.json()["request_id"], second_code)
    assert old.status_code == 401
    assert old.json()["field"] == "code"
    assert new.status_code == 200, new.text


async def test_a_code_fails_once_five_minutes_have_passed(
    auth_stack: Stack, clock: ManualClock
) -> None:
    async with auth_stack.client() as client:
        msisdn, asked, code = await first_code(auth_stack, client)
        clock.advance(timedelta(minutes=5))
        late = await verify(client, msisdn, asked.json()["request_id"], code)
    assert late.status_code == 401


async def test_a_code_just_inside_five_minutes_still_works(
    auth_stack: Stack, clock: ManualClock
) -> None:
    async with auth_stack.client() as client:
        msisdn, asked, code = await first_code(auth_stack, client)
        clock.advance(timedelta(minutes=4, seconds=59))
        in_time = await verify(client, msisdn, asked.json()["request_id"], code)
    assert in_time.status_code == 200, in_time.text


async def test_five_wrong_tries_burn_the_code(auth_stack: Stack, clock: ManualClock) -> None:
    (msisdn,) = numbers(1)
    async with auth_stack.client() as client:
        activated = await activate_subscriber(client, auth_stack.ops_headers, msisdn)
        asked = await ask_code(client, msisdn, activated)
        request_id = asked.json()["request_id"]
        code = await code_from_outbox(client, msisdn)
        tries = []
        for _ in range(5):
            tries.append(await verify(client, msisdn, request_id, wrong(code)))
            clock.advance(timedelta(seconds=20))  # past the growing delays of failed logins
        right_too_late = await verify(client, msisdn, request_id, code)
    assert [t.status_code for t in tries] == [401] * 5
    assert right_too_late.status_code == 401


async def test_a_used_code_fails_the_second_time(auth_stack: Stack) -> None:
    async with auth_stack.client() as client:
        msisdn, asked, code = await first_code(auth_stack, client)
        first = await verify(client, msisdn, asked.json()["request_id"], code)
        again = await verify(client, msisdn, asked.json()["request_id"], code)
    assert first.status_code == 200, first.text
    assert again.status_code == 401


async def test_a_code_is_bound_to_its_request_and_purpose(auth_stack: Stack) -> None:
    (msisdn,) = numbers(1)
    async with auth_stack.client() as client:
        activated = await activate_subscriber(client, auth_stack.ops_headers, msisdn)
        asked = await ask_code(client, msisdn, activated, purpose="password_reset")
        code = await code_from_outbox(client, msisdn)
        request_id = asked.json()["request_id"]
        other_request = await verify(client, msisdn, "0" * 32, code)
        body = {"msisdn": msisdn, "request_id": request_id, "code": code, "purpose": "login"}
        other_purpose = await client.post(VERIFY, json=body)
        right = await client.post(VERIFY, json={**body, "purpose": "password_reset"})
    assert other_request.status_code == 401
    assert other_purpose.status_code == 401
    assert right.status_code == 200, right.text


def shape(answer: httpx.Response) -> tuple[int, Any, str]:
    """What a client can see of an answer, apart from random ids."""
    body = answer.json()
    masked = {k: (type(v).__name__ if k == "request_id" else v) for k, v in body.items()}
    return answer.status_code, masked, answer.headers["content-type"]


async def test_an_unknown_and_a_known_number_get_identical_answers(auth_stack: Stack) -> None:
    known, unknown = numbers(2)
    async with auth_stack.client() as client:
        activated = await activate_subscriber(client, auth_stack.ops_headers, known)
        await auth_stack.running["auth"].app.state.runtime.wait_for(activated, known)
        answers: dict[str, dict[str, httpx.Response]] = {}
        for msisdn in (known, unknown):
            login = await ask_code(client, msisdn)
            recovery = await ask_code(client, msisdn, purpose="password_reset")
            answers[msisdn] = {
                "login code": login,
                "recovery code": recovery,
                "wrong code": await verify(client, msisdn, recovery.json()["request_id"], "000000"),
                "wrong password": await client.post(
                    "/api/v1/auth/login", json={"msisdn": msisdn, "password": "not-it-at-all"}
                ),
            }
        sent = await client.get("/dev/sms", params={"msisdn": unknown})
    for case in answers[known]:
        assert shape(answers[known][case]) == shape(answers[unknown][case]), case
    assert answers[known]["login code"].status_code == 202
    assert answers[known]["wrong password"].status_code == 401
    assert sent.json()["messages"] == []


async def test_codes_per_number_are_limited_per_minute_and_per_hour_with_retry_after(
    settings: Settings, clock: ManualClock
) -> None:
    (msisdn,) = numbers(1)
    limits = AuthSettings(otp_number_per_minute=1, otp_number_per_hour=5)
    async with signing_stack(settings, clock, limits) as stack, stack.client() as client:
        activated = await activate_subscriber(client, stack.ops_headers, msisdn)
        first = await ask_code(client, msisdn, activated)
        too_soon = await ask_code(client, msisdn)
        clock.advance(timedelta(minutes=1))
        within_hour = []
        for _ in range(4):
            within_hour.append(await ask_code(client, msisdn))
            clock.advance(timedelta(minutes=1))
        sixth = await ask_code(client, msisdn)
        clock.advance(timedelta(minutes=56))
        next_hour = await ask_code(client, msisdn)
    assert first.status_code == 202
    assert too_soon.status_code == 429
    assert too_soon.headers["Retry-After"] == "60"
    assert too_soon.headers["content-type"] == "application/problem+json"
    assert [a.status_code for a in within_hour] == [202] * 4
    assert sixth.status_code == 429
    assert int(sixth.headers["Retry-After"]) == 55 * 60
    assert next_hour.status_code == 202


async def test_codes_per_client_address_are_limited(settings: Settings, clock: ManualClock) -> None:
    first, second, third = numbers(3)
    async with (
        signing_stack(settings, clock, AuthSettings(otp_ip_per_hour=2)) as stack,
        stack.client() as client,
    ):
        answers = [await ask_code(client, m) for m in (first, second, third)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[2].json()["field"] == "ip"
    assert 0 < int(answers[2].headers["Retry-After"]) <= 3600
