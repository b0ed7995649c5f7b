"""The subscriber's money through the gateway, on real PostgreSQL and real NATS."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from contracts.payments import LoyaltyPointsEarned, LoyaltyPointsRedeemed
from contracts.registry import parse_event
from kabinet.clock import ManualClock, SystemClock
from suite.testing import Stack
from tests.integration.helpers import (
    DetailingFeed,
    activate_and_sign_in,
    jetstream,
    me,
    numbers,
    read_stream,
)

pytestmark = pytest.mark.integration


async def balance_of(client: httpx.AsyncClient, msisdn: str, token: str | None = None) -> dict:  # type: ignore[type-arg]
    response = await client.get("/api/v1/me/balance", headers=me(msisdn, token=token))
    assert response.status_code == 200, response.text
    assert "Kabinet-Stale" not in response.headers
    return response.json()  # type: ignore[no-any-return]


async def test_charges_from_detailing_are_debited_once_and_read_back_with_their_token(
    stack: Stack,
) -> None:
    (msisdn,) = numbers(1)
    async with stack.client() as client, jetstream(stack.settings) as (_, js):
        activated = await activate_and_sign_in(client, stack.ops_headers, msisdn)
        paid = await client.post(
            "/api/v1/me/topups", json={"amount": "100.00"}, headers=me(msisdn, "k1", activated)
        )
        assert paid.status_code == 201, paid.text
        feed = DetailingFeed(js, stack.settings)
        charge_id, _ = await feed.charge(msisdn, 30_00)
        await feed.charge(msisdn, 12_50)
        _, token = await feed.charge(msisdn, 30_00, charge_id=charge_id)  # a detailing repeat
        view = await balance_of(client, msisdn, token)
        history = await client.get("/api/v1/me/operations", headers=me(msisdn))
    assert view == {
        "msisdn": msisdn,
        "balance": "57.50",
        "promised_credit": "0.00",
        "available": "57.50",
    }
    items = history.json()["items"]
    assert [(i["kind"], i["amount"], i["balance"]) for i in items] == [
        ("charge", "-12.50", "57.50"),
        ("charge", "-30.00", "70.00"),
        ("topup", "100.00", "100.00"),
    ]
    assert items[1]["cause_id"] == charge_id


async def test_twenty_parallel_top_ups_and_charges_on_one_number_end_with_the_exact_sum(
    stack: Stack,
) -> None:
    (msisdn,) = numbers(1)
    async with stack.client() as client, jetstream(stack.settings) as (_, js):
        activated = await activate_and_sign_in(client, stack.ops_headers, msisdn)
        feed = DetailingFeed(js, stack.settings)

        async def top_up(n: int) -> httpx.Response:
            return await client.post(
                "/api/v1/me/topups",
                json={"amount": f"{100 + n}.00"},
                headers=me(msisdn, f"par-{n}", activated),
            )

        async def charge(n: int) -> str:
            return (await feed.charge(msisdn, 1_00 + n))[1]

        results = await asyncio.gather(
            *(top_up(n) for n in range(20)), *(charge(n) for n in range(20))
        )
        paid = [r for r in results if isinstance(r, httpx.Response)]
        assert all(r.status_code == 201 for r in paid), [r.text for r in paid]
        view = await balance_of(client, msisdn, f"detailing:{feed.position}")
    expected = sum(100_00 + n * 100 for n in range(20)) - sum(1_00 + n for n in range(20))
    assert view["balance"] == f"{expected // 100}.{expected % 100:02d}"


async def test_one_key_for_two_concurrent_transfers_moves_money_once(stack: Stack) -> None:
    anna, boris = numbers(2)
    async with stack.client() as client:
        activated = await activate_and_sign_in(client, stack.ops_headers, anna)
        opened = await activate_and_sign_in(client, stack.ops_headers, boris)
        paid = await client.post(
            "/api/v1/me/topups", json={"amount": "500"}, headers=me(anna, "k1", activated)
        )
        assert paid.status_code == 201, paid.text
        await balance_of(client, boris, opened)
        body = {"to": f"+7 {boris[1:4]} {boris[4:]}", "amount": "120.00"}
        first, second = await asyncio.gather(
            *(
                client.post("/api/v1/me/transfers", json=body, headers=me(anna, "t1"))
                for _ in range(2)
            )
        )
        other = await client.post(
            "/api/v1/me/transfers", json={**body, "amount": "10"}, headers=me(anna, "t1")
        )
        assert first.status_code == 201, first.text
        token = first.json()["consistency_token"]
        sender, receiver = await balance_of(client, anna, token), await balance_of(client, boris)
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert first.json() == second.json()
    assert (other.status_code, other.json()["field"]) == (422, "Idempotency-Key")
    assert (sender["balance"], receiver["balance"]) == ("380.00", "120.00")


async def test_promised_payment_refusals_name_their_rule_and_a_grant_is_repaid_by_a_top_up(
    stack: Stack,
) -> None:
    (msisdn,) = numbers(1)
    app = stack.app_of("payments")
    async with stack.client() as client:
        activated = await activate_and_sign_in(client, stack.ops_headers, msisdn)
        young = await client.post(
            "/api/v1/me/promised-payment",
            json={"amount": "100"},
            headers=me(msisdn, "p1", activated),
        )
        assert young.status_code == 422, young.text
        assert young.headers["content-type"].startswith("application/problem+json")
        assert young.json()["rule"] == "promise_account_age"
        await client.post("/api/v1/me/topups", json={"amount": "150"}, headers=me(msisdn, "k1"))
        app.clock = ManualClock(datetime.now(UTC) + timedelta(days=61))
        try:
            rich = await client.post(
                "/api/v1/me/promised-payment", json={"amount": "100"}, headers=me(msisdn, "p2")
            )
            odd = await client.post(
                "/api/v1/me/promised-payment", json={"amount": "70"}, headers=me(msisdn, "p3")
            )
            async with jetstream(stack.settings) as (_, js):
                _, spent = await DetailingFeed(js, stack.settings).charge(msisdn, 120_00)
            await balance_of(client, msisdn, spent)
            granted = await client.post(
                "/api/v1/me/promised-payment", json={"amount": "200"}, headers=me(msisdn, "p4")
            )
            offer = await client.get("/api/v1/me/promised-payment", headers=me(msisdn))
            repaid = await client.post(
                "/api/v1/me/topups", json={"amount": "500"}, headers=me(msisdn, "k2")
            )
            after = await balance_of(client, msisdn, repaid.json()["consistency_token"])
        finally:
            app.clock = SystemClock()
    assert (rich.status_code, rich.json()["rule"]) == (422, "promise_low_balance")
    assert (odd.status_code, odd.json()["rule"], odd.json()["field"]) == (
        422,
        "promise_amount",
        "amount",
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["available"] == "230.00"
    assert offer.json()["open"]["outstanding"] == "200.00"
    assert after == {
        "msisdn": msisdn,
        "balance": "530.00",
        "promised_credit": "0.00",
        "available": "530.00",
    }


@pytest.mark.parametrize(
    ("path", "body", "field", "status"),
    [
        ("/api/v1/me/topups", {"amount": "5.00"}, "amount", 422),
        ("/api/v1/me/topups", {"amount": "10.001"}, "amount", 422),
        ("/api/v1/me/topups", {"amount": "ten"}, "amount", 422),
        ("/api/v1/me/transfers", {"to": "79000000000", "amount": "10"}, "to", 404),
        ("/api/v1/me/transfers", {"to": "not a number", "amount": "10"}, "to", 422),
        ("/api/v1/me/transfers", {"to": "79000000000"}, "amount", 422),
        ("/api/v1/me/transfers", {"amount": "10"}, "to", 422),
        ("/api/v1/me/promised-payment", {"amount": "100", "extra": 1}, "extra", 422),
    ],
)
async def test_bad_money_requests_are_problems_naming_the_field_and_change_nothing(
    stack: Stack, path: str, body: dict[str, object], field: str, status: int
) -> None:
    (msisdn,) = numbers(1)
    async with stack.client() as client:
        activated = await activate_and_sign_in(client, stack.ops_headers, msisdn)
        await client.post(
            "/api/v1/me/topups", json={"amount": "100"}, headers=me(msisdn, "k0", activated)
        )
        refused = await client.post(path, json=body, headers=me(msisdn, "bad"))
        keyless = await client.post(path, json=body, headers=me(msisdn))
        history = await client.get("/api/v1/me/operations", headers=me(msisdn))
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["field"] == field
    assert keyless.status_code == 422
    assert len(history.json()["items"]) == 1


async def test_operations_are_paged_newest_first_and_filtered_by_period(stack: Stack) -> None:
    (msisdn,) = numbers(1)
    async with stack.client() as client:
        activated = await activate_and_sign_in(client, stack.ops_headers, msisdn)
        for n in range(5):
            await client.post(
                "/api/v1/me/topups",
                json={"amount": f"{10 + n}"},
                headers=me(msisdn, f"k{n}", activated),
            )
        first = await client.get("/api/v1/me/operations?limit=3", headers=me(msisdn))
        cursor = first.json()["next_cursor"]
        rest = await client.get(
            f"/api/v1/me/operations?limit=3&cursor={cursor}", headers=me(msisdn)
        )
        future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        empty = await client.get(
            "/api/v1/me/operations", params={"from": future}, headers=me(msisdn)
        )
        bad = await client.get("/api/v1/me/operations?from=yesterday", headers=me(msisdn))
    assert [i["amount"] for i in first.json()["items"]] == ["14.00", "13.00", "12.00"]
    assert [i["amount"] for i in rest.json()["items"]] == ["11.00", "10.00"]
    assert rest.json()["next_cursor"] is None
    assert empty.status_code == 422 and empty.json()["field"] == "from"
    assert (bad.status_code, bad.json()["field"]) == (422, "from")


async def test_loyalty_points_follow_top_ups_and_redeem_for_balance_through_the_gateway(
    stack: Stack,
) -> None:
    (msisdn,) = numbers(1)
    async with stack.client() as client:
        activated = await activate_and_sign_in(client, stack.ops_headers, msisdn)
        await client.post(
            "/api/v1/me/topups", json={"amount": "1500"}, headers=me(msisdn, "k1", activated)
        )
        before = await client.get("/api/v1/me/loyalty", headers=me(msisdn))
        redeemed = await client.post(
            "/api/v1/me/loyalty/redemptions", json={"points": 150}, headers=me(msisdn, "r1")
        )
        too_many = await client.post(
            "/api/v1/me/loyalty/redemptions", json={"points": 150}, headers=me(msisdn, "r2")
        )
        view = await balance_of(client, msisdn, redeemed.json()["consistency_token"])
    assert before.json()["points"] == 150
    assert redeemed.status_code == 201, redeemed.text
    assert (redeemed.json()["amount"], redeemed.json()["points_balance"]) == ("15.00", 0)
    assert (too_many.status_code, too_many.json()["rule"]) == (409, "loyalty_points")
    assert view["balance"] == "1515.00"


async def test_points_earned_and_redeemed_reach_the_payments_stream_as_contract_events(
    stack: Stack,
) -> None:
    (msisdn,) = numbers(1)
    async with stack.client() as client, jetstream(stack.settings) as (_, js):
        activated = await activate_and_sign_in(client, stack.ops_headers, msisdn)
        for key in ("k1", "k1"):
            await client.post(
                "/api/v1/me/topups", json={"amount": "1234.56"}, headers=me(msisdn, key, activated)
            )
        for key in ("r1", "r1"):
            await client.post(
                "/api/v1/me/loyalty/redemptions", json={"points": 100}, headers=me(msisdn, key)
            )
        _, charged = await DetailingFeed(js, stack.settings).charge(msisdn, 1_00)
        await balance_of(client, msisdn, charged)  # the log now ends with a published event
    published = [parse_event(data) for data in await read_stream(stack, "payments")]
    points = [
        e.model_dump(include={"type", "msisdn", "points", "points_balance"})
        for e in published
        if isinstance(e, LoyaltyPointsEarned | LoyaltyPointsRedeemed)
    ]
    assert points == [
        {"type": "LoyaltyPointsEarned", "msisdn": msisdn, "points": 123, "points_balance": 123},
        {"type": "LoyaltyPointsRedeemed", "msisdn": msisdn, "points": 100, "points_balance": 23},
    ]


async def test_the_low_balance_level_is_set_read_and_validated_through_the_gateway(
    stack: Stack,
) -> None:
    (msisdn,) = numbers(1)
    async with stack.client() as client:
        activated = await activate_and_sign_in(client, stack.ops_headers, msisdn)
        await balance_of(client, msisdn, activated)
        path = "/api/v1/me/low-balance-alert"
        set_ = await client.put(path, json={"level": "75"}, headers=me(msisdn))
        read = await client.get(path, headers=me(msisdn))
        bad = await client.put(path, json={"level": "-1"}, headers=me(msisdn))
        off = await client.put(path, json={"level": None}, headers=me(msisdn))
    assert set_.status_code == 200, set_.text
    assert read.json() == {"msisdn": msisdn, "level": "75.00"}
    assert (bad.status_code, bad.json()["field"]) == (422, "level")
    assert off.json()["level"] is None
