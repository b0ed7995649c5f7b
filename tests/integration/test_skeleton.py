"""The walking skeleton through the gateway on real PostgreSQL and real NATS."""

from __future__ import annotations

import uuid

import httpx
import pytest

from kabinet.settings import Settings
from suite.testing import Stack, in_process
from tests.integration.helpers import me, sign_in

pytestmark = pytest.mark.integration


def unique_msisdn() -> str:
    return "79" + str(uuid.uuid4().int)[:9]


async def activate(client: httpx.AsyncClient, stack: Stack, msisdn: str) -> str:
    response = await client.post(
        "/ops/v1/subscribers",
        json={
            "msisdn": msisdn,
            "owner_name": "Анна Сергеевна Орлова",
            "region": "moscow",
            "tariff_id": "smart",
        },
        headers=stack.ops_headers,
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["consistency_token"]
    await sign_in(client, msisdn, token)
    return token


async def top_up(
    client: httpx.AsyncClient, msisdn: str, amount: object, key: str, token: str | None = None
) -> httpx.Response:
    return await client.post(
        "/api/v1/me/topups", json={"amount": amount}, headers=me(msisdn, key, token)
    )


async def test_a_top_up_shows_on_the_dashboard_once_the_views_caught_up(stack: Stack) -> None:
    msisdn = unique_msisdn()
    async with stack.client() as client:
        activated = await activate(client, stack, msisdn)
        paid = await top_up(client, msisdn, "100.00", "k-1", activated)
        assert paid.status_code == 201, paid.text
        token = paid.json()["consistency_token"]
        dashboard = await client.get(
            "/api/v1/me/dashboard",
            headers=me(msisdn, token=token),
        )
    assert dashboard.status_code == 200, dashboard.text
    assert "Kabinet-Stale" not in dashboard.headers
    view = dashboard.json()
    assert view["balance"] == "100.00"
    assert view["last_topup"]["amount"] == "100.00"
    assert view["owner_name"] == "Анна Сергеевна Орлова"
    assert view["missing"] == []


async def test_one_idempotency_key_moves_money_once_and_refuses_another_amount(
    stack: Stack,
) -> None:
    msisdn = unique_msisdn()
    async with stack.client() as client:
        activated = await activate(client, stack, msisdn)
        first = await top_up(client, msisdn, "100.00", "same-key", activated)
        again = await top_up(client, msisdn, "100.00", "same-key")
        other = await top_up(client, msisdn, "250.00", "same-key")
        balance = await client.get("/api/v1/me/balance", headers=me(msisdn))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["field"] == "Idempotency-Key"
    assert balance.json()["balance"] == "100.00"


def _max_position(stack: Stack, name: str) -> int:
    return int(stack.app_of(name).recorder.max_notification_id() or 0)


@pytest.mark.parametrize(
    ("route", "body", "field", "status"),
    [
        (
            "activate",
            {"msisdn": "12345", "owner_name": "A", "region": "moscow", "tariff_id": "x"},
            "msisdn",
            422,
        ),
        (
            "activate",
            {"msisdn": "79001112233", "owner_name": "A", "region": "Moscow!", "tariff_id": "x"},
            "region",
            422,
        ),
        ("topup", {"amount": "-5.00"}, "amount", 422),
        ("topup", {"amount": "ten roubles"}, "amount", 422),
        ("topup", {"amount": "100.001"}, "amount", 422),
        ("topup", {"amount": None}, "amount", 422),
        ("topup", {"amount": "100.00", "extra": 1}, "extra", 422),
        ("topup", {"amount": "1" + "0" * 70_000}, "body", 413),
    ],
)
async def test_bad_input_is_a_problem_naming_the_field_and_stores_nothing(
    stack: Stack, route: str, body: dict[str, object], field: str, status: int
) -> None:
    msisdn = unique_msisdn()
    async with stack.client() as client:
        activated = await activate(client, stack, msisdn)
        await stack.running["payments"].app.state.runtime.wait_for(activated, msisdn)
        before = {name: _max_position(stack, name) for name in ("account", "payments")}
        if route == "activate":
            response = await client.post(
                "/ops/v1/subscribers", json=body, headers=stack.ops_headers
            )
        else:
            response = await client.post(
                "/api/v1/me/topups",
                json=body,
                headers=me(msisdn, "bad-1"),
            )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == field
    assert {name: _max_position(stack, name) for name in ("account", "payments")} == before


async def test_a_subscriber_route_without_sign_in_is_refused_whatever_the_headers_say(
    stack: Stack,
) -> None:
    msisdn = unique_msisdn()
    async with stack.client() as client:
        activated = await activate(client, stack, msisdn)
        await stack.running["payments"].app.state.runtime.wait_for(activated, msisdn)
        before = _max_position(stack, "payments")
        response = await client.post(
            "/api/v1/me/topups",
            json={"amount": "100.00"},
            headers={"X-Kabinet-Msisdn": msisdn, "Idempotency-Key": "k"},
        )
    assert response.status_code == 401
    assert response.json()["field"] == "Authorization"
    assert _max_position(stack, "payments") == before


async def test_ops_routes_need_the_staff_credential(stack: Stack) -> None:
    async with stack.client() as client:
        response = await client.post(
            "/ops/v1/subscribers", json={}, headers={"Authorization": "Bearer wrong"}
        )
    assert response.status_code == 401


async def test_a_top_up_without_an_idempotency_key_is_refused(stack: Stack) -> None:
    msisdn = unique_msisdn()
    async with stack.client() as client:
        await activate(client, stack, msisdn)
        response = await client.post(
            "/api/v1/me/topups", json={"amount": "100.00"}, headers=me(msisdn)
        )
    assert response.status_code == 422
    assert response.json()["field"] == "Idempotency-Key"


async def test_the_dashboard_is_partial_and_says_what_is_missing_when_a_service_is_down(
    settings: Settings,
) -> None:
    msisdn = unique_msisdn()
    # payments is not running
    async with (
        in_process(settings, "account", "auth", "gateway") as partial,
        partial.client() as client,
    ):
        await activate(client, partial, msisdn)
        dashboard = await client.get("/api/v1/me/dashboard", headers=me(msisdn))
        topup = await top_up(client, msisdn, "100.00", "k")
    assert dashboard.status_code == 200
    assert dashboard.json()["missing"] == ["balance"]
    assert dashboard.json()["owner_name"] == "Анна Сергеевна Орлова"
    assert topup.status_code == 503
    assert topup.json()["service"] == "payments"
