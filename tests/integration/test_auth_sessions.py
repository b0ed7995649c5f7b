"""Passwords and sessions through the gateway, on real PostgreSQL and NATS, with auth's
clock moved by the test (no sleeping)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from kabinet.clock import ManualClock
from suite.testing import Stack
from tests.integration.helpers import activate_subscriber, code_from_outbox, numbers, signed_in

pytestmark = pytest.mark.integration

AUTH = "/api/v1/auth"
PASSWORD = "зелёный-чайник-42"


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def refresh(client: httpx.AsyncClient, tokens: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{AUTH}/refresh", json={"refresh_token": tokens["refresh_token"]})


async def subscriber(stack: Stack, client: httpx.AsyncClient) -> str:
    """A newly activated number that auth already knows."""
    (msisdn,) = numbers(1)
    activated = await activate_subscriber(client, stack.ops_headers, msisdn)
    await stack.running["auth"].app.state.runtime.wait_for(activated, msisdn)
    return msisdn


async def newcomer(
    stack: Stack, client: httpx.AsyncClient, remember_me: bool = False
) -> tuple[str, dict[str, Any]]:
    """A newly activated number, signed in with a code: (number, tokens)."""
    msisdn = await subscriber(stack, client)
    return msisdn, (await signed_in(client, msisdn, remember_me=remember_me)).json()


async def set_password(client: httpx.AsyncClient, tokens: dict[str, Any]) -> None:
    answer = await client.put(
        f"{AUTH}/password", json={"new_password": PASSWORD}, headers=bearer(tokens)
    )
    assert answer.status_code == 200, answer.text


async def login(
    client: httpx.AsyncClient, msisdn: str, password: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"{AUTH}/login", json={"msisdn": msisdn, "password": password, **extra}
    )


async def test_a_password_is_set_used_and_changed_and_the_change_ends_the_other_sessions(
    auth_stack: Stack,
) -> None:
    async with auth_stack.client() as client:
        msisdn, phone = await newcomer(auth_stack, client)
        set_ = await client.put(
            f"{AUTH}/password", json={"new_password": PASSWORD}, headers=bearer(phone)
        )
        laptop = await login(client, msisdn, PASSWORD)
        tablet = (await login(client, msisdn, PASSWORD)).json()
        change = {"current_password": PASSWORD, "new_password": "другой-пароль-7"}
        wrong_current = await client.put(
            f"{AUTH}/password",
            json={**change, "current_password": "не-тот"},
            headers=bearer(laptop.json()),
        )
        changed = await client.put(f"{AUTH}/password", json=change, headers=bearer(laptop.json()))
        phone_refresh = await refresh(client, phone)
        tablet_refresh = await refresh(client, tablet)
        laptop_refresh = await refresh(client, laptop.json())
        old_password = await login(client, msisdn, PASSWORD)
        new_password = await login(client, msisdn, "другой-пароль-7")
    assert set_.status_code == 200, set_.text
    assert laptop.status_code == 200, laptop.text
    assert wrong_current.status_code == 401
    assert wrong_current.json()["field"] == "current_password"
    assert changed.json() == {"changed": True, "sessions_ended": 2}
    assert phone_refresh.status_code == tablet_refresh.status_code == 401
    assert laptop_refresh.status_code == 200, laptop_refresh.text
    assert old_password.status_code == 401
    assert new_password.status_code == 200


@pytest.mark.parametrize(
    ("password", "field"),
    [("short", "new_password"), ("12345678", "new_password"), ("", "new_password")],
)
async def test_a_weak_password_is_refused_naming_the_field(
    auth_stack: Stack, password: str, field: str
) -> None:
    async with auth_stack.client() as client:
        msisdn, tokens = await newcomer(auth_stack, client)
        answer = await client.put(
            f"{AUTH}/password", json={"new_password": password}, headers=bearer(tokens)
        )
        own_number = await client.put(
            f"{AUTH}/password", json={"new_password": f"x{msisdn}x"}, headers=bearer(tokens)
        )
    assert (answer.status_code, answer.json()["field"]) == (422, field)
    assert own_number.status_code == 422


async def test_failed_passwords_bring_growing_delays_and_a_success_clears_them(
    auth_stack: Stack, clock: ManualClock
) -> None:
    async with auth_stack.client() as client:
        msisdn, tokens = await newcomer(auth_stack, client)
        await set_password(client, tokens)
        free = [await login(client, msisdn, "wrong-guess") for _ in range(3)]
        locked = await login(client, msisdn, PASSWORD)  # even the right one waits
        clock.advance(timedelta(seconds=1))
        fourth = await login(client, msisdn, "wrong-guess")
        locked_longer = await login(client, msisdn, PASSWORD)
        clock.advance(timedelta(seconds=2))
        right = await login(client, msisdn, PASSWORD)
        after_success = await login(client, msisdn, "wrong-guess")
        again = await login(client, msisdn, PASSWORD)
    assert [a.status_code for a in free] == [401, 401, 401]
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "1"
    assert fourth.status_code == 401
    assert locked_longer.status_code == 429 and locked_longer.headers["Retry-After"] == "2"
    assert right.status_code == 200
    assert after_success.status_code == 401  # the count started again: no delay yet
    assert again.status_code == 200


async def test_a_recovery_code_lets_the_subscriber_set_a_new_password_without_the_old(
    auth_stack: Stack,
) -> None:
    async with auth_stack.client() as client:
        msisdn, tokens = await newcomer(auth_stack, client)
        await set_password(client, tokens)
        plain = await client.put(
            f"{AUTH}/password", json={"new_password": "забыл-старый-1"}, headers=bearer(tokens)
        )
        asked = await client.post(
            f"{AUTH}/otp", json={"msisdn": msisdn, "purpose": "password_reset"}
        )
        recovered = await client.post(
            f"{AUTH}/otp/verify",
            json={
                "msisdn": msisdn,
                "request_id": asked.json()["request_id"],
                "code": await code_from_outbox(client, msisdn),
            },
        )
        reset = await client.put(
            f"{AUTH}/password",
            json={"new_password": "забыл-старый-1"},
            headers=bearer(recovered.json()),
        )
        signed = await login(client, msisdn, "забыл-старый-1")
    assert plain.status_code == 401 and plain.json()["field"] == "current_password"
    assert reset.json() == {"changed": True, "sessions_ended": 1}
    assert signed.status_code == 200


async def test_a_refresh_after_31_idle_minutes_fails(auth_stack: Stack, clock: ManualClock) -> None:
    async with auth_stack.client() as client:
        msisdn, tokens = await newcomer(auth_stack, client)
        clock.advance(timedelta(minutes=29))
        active = await refresh(client, tokens)
        clock.advance(timedelta(minutes=29))
        still = await refresh(client, active.json())
        clock.advance(timedelta(minutes=31))
        idle = await refresh(client, still.json())
    assert active.status_code == still.status_code == 200
    assert idle.status_code == 401


async def test_remember_me_keeps_an_idle_session_for_up_to_30_days(
    auth_stack: Stack, clock: ManualClock
) -> None:
    async with auth_stack.client() as client:
        msisdn, tokens = await newcomer(auth_stack, client, remember_me=True)
        clock.advance(timedelta(days=20))
        after_20_days = await refresh(client, tokens)
        clock.advance(timedelta(days=9, hours=23))
        day_30 = await refresh(client, after_20_days.json())
        clock.advance(timedelta(hours=2))
        past_30_days = await refresh(client, day_30.json())
    assert after_20_days.status_code == 200, after_20_days.text
    assert day_30.status_code == 200
    assert past_30_days.status_code == 401


async def test_an_active_session_still_ends_12_hours_after_it_started(
    auth_stack: Stack, clock: ManualClock
) -> None:
    async with auth_stack.client() as client:
        msisdn, tokens = await newcomer(auth_stack, client)
        statuses = []
        for _ in range(12 * 3 - 1):  # a refresh every 20 minutes for 11 h 40 min
            clock.advance(timedelta(minutes=20))
            answer = await refresh(client, tokens)
            statuses.append(answer.status_code)
            tokens = answer.json()
        last_access = tokens["expires_in"]
        clock.advance(timedelta(minutes=20))
        at_12_hours = await refresh(client, tokens)
    assert set(statuses) == {200}
    assert last_access <= 20 * 60  # no access token outlives the session
    assert at_12_hours.status_code == 401


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(
    auth_stack: Stack,
) -> None:
    async with auth_stack.client() as client:
        msisdn, first = await newcomer(auth_stack, client)
        second = await refresh(client, first)
        stolen = await refresh(client, first)
        legit = await refresh(client, second.json())
        sessions = await client.get(f"{AUTH}/sessions", headers=bearer(second.json()))
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert stolen.status_code == 401
    assert legit.status_code == 401
    assert sessions.status_code == 401


async def test_sessions_are_listed_with_device_address_and_activity_and_any_can_be_ended(
    auth_stack: Stack, clock: ManualClock
) -> None:
    async with auth_stack.client() as client:
        msisdn = await subscriber(auth_stack, client)
        client.headers["User-Agent"] = "KabinetApp/3.1 (Android 14)"
        phone = (await signed_in(client, msisdn)).json()
        clock.advance(timedelta(minutes=3))
        client.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
        laptop = (await signed_in(client, msisdn)).json()
        listed = await client.get(f"{AUTH}/sessions", headers=bearer(laptop))
        ended = await client.delete(
            f"{AUTH}/sessions/{phone['session_id']}", headers=bearer(laptop)
        )
        phone_refresh = await refresh(client, phone)
        logout = await client.post(f"{AUTH}/logout", headers=bearer(laptop))
        laptop_refresh = await refresh(client, laptop)
    sessions = listed.json()["sessions"]
    assert [(s["device"], s["current"]) for s in sessions] == [
        ("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", True),
        ("KabinetApp/3.1 (Android 14)", False),
    ]
    assert {s["ip"] for s in sessions} == {"127.0.0.1"}
    assert sessions[1]["last_active_at"] < sessions[0]["last_active_at"]
    assert ended.status_code == 204
    assert phone_refresh.status_code == 401
    assert logout.status_code == 204
    assert laptop_refresh.status_code == 401


async def test_a_subscriber_cannot_end_someone_elses_session(auth_stack: Stack) -> None:
    async with auth_stack.client() as client:
        anna = await subscriber(auth_stack, client)
        boris = await subscriber(auth_stack, client)
        annas = (await signed_in(client, anna)).json()
        boriss = (await signed_in(client, boris)).json()
        attempt = await client.delete(
            f"{AUTH}/sessions/{boriss['session_id']}", headers=bearer(annas)
        )
        boris_refresh = await refresh(client, boriss)
    assert attempt.status_code == 404
    assert boris_refresh.status_code == 200


def cookies_of(answer: httpx.Response) -> dict[str, str]:
    """Set-Cookie lines by cookie name (httpx keeps Secure cookies from plain http)."""
    found = {}
    for line in answer.headers.get_list("set-cookie"):
        name = line.split("=", 1)[0]
        found[name] = line
    return found


def value(line: str) -> str:
    return line.split("=", 1)[1].split(";", 1)[0]


async def test_the_web_gets_httponly_secure_samesite_cookies_and_writes_need_the_csrf_header(
    auth_stack: Stack,
) -> None:
    async with auth_stack.client() as client:
        msisdn = await subscriber(auth_stack, client)
        web = await signed_in(client, msisdn, channel="web")
        set_cookies = cookies_of(web)
        access = value(set_cookies["__Host-kabinet-access"])
        csrf = value(set_cookies["__Host-kabinet-csrf"])
        jar = {
            "Cookie": f"__Host-kabinet-access={access}; __Host-kabinet-csrf={csrf}; "
            f"__Secure-kabinet-refresh={value(set_cookies['__Secure-kabinet-refresh'])}"
        }
        read = await client.get("/api/v1/me/profile", headers=jar)
        forged = await client.put("/api/v1/me/tariff", json={"tariff_id": "base"}, headers=jar)
        wrong = await client.put(
            "/api/v1/me/security",
            json={"notify_via": ["sms"]},
            headers={**jar, "X-CSRF-Token": "guess"},
        )
        allowed = await client.put(
            "/api/v1/me/security",
            json={"notify_via": ["sms"]},
            headers={**jar, "X-CSRF-Token": csrf},
        )
        refreshed = await client.post(f"{AUTH}/refresh", headers={**jar, "X-CSRF-Token": csrf})
    assert "access_token" not in web.json() and "refresh_token" not in web.json()
    assert web.json()["csrf_token"] == csrf
    for name in ("__Host-kabinet-access", "__Secure-kabinet-refresh"):
        attributes = set_cookies[name].lower()
        assert "httponly" in attributes and "secure" in attributes
        assert "samesite=strict" in attributes
    assert "httponly" not in set_cookies["__Host-kabinet-csrf"].lower()
    assert "path=/api/v1/auth" in set_cookies["__Secure-kabinet-refresh"].lower()
    assert read.status_code == 200, read.text
    assert forged.status_code == 403 and forged.json()["field"] == "X-CSRF-Token"
    assert wrong.status_code == 403
    assert allowed.status_code == 200, allowed.text
    assert refreshed.status_code == 200
    assert set(cookies_of(refreshed)) == {
        "__Host-kabinet-access",
        "__Secure-kabinet-refresh",
        "__Host-kabinet-csrf",
    }
