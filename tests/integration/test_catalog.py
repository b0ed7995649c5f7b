"""Catalog scenarios through the gateway on real PostgreSQL and NATS."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx

from kabinet import consistency
from kabinet.clock import ManualClock
from suite.seed import CATALOG
from suite.testing import Stack
from tests.integration.helpers import sign_in

TOKEN = "Kabinet-Consistency-Token"


def tariff_spec(tariff_id: str, **overrides: Any) -> dict[str, Any]:
    prices = {
        "recurring_fee": "400.00",
        "change_fee": "50.00",
        "minute": "2.00",
        "sms": "1.50",
        "mms": "6.00",
        "data_mb": "1.00",
    }
    return {
        "tariff_id": tariff_id,
        "name": "Тестовый",
        "included": {"minutes": 400, "sms": 100, "mms": 0, "data_mb": 10240},
        "prices": {
            "moscow": prices,
            "spb": {**prices, "recurring_fee": "350.00"},
            "kazan": {**prices, "recurring_fee": "300.00"},
            "novosibirsk": {**prices, "recurring_fee": "280.00"},
        },
        **overrides,
    }


async def publish(client: httpx.AsyncClient, stack: Stack, spec: dict[str, Any]) -> httpx.Response:
    return await client.post("/ops/v1/catalog/tariffs", json=spec, headers=stack.ops_headers)


async def test_a_published_tariff_is_listed_per_region_with_that_regions_prices(
    clocked_stack: Stack,
) -> None:
    async with clocked_stack.client() as client:
        published = await publish(client, clocked_stack, tariff_spec("t_regional"))
        token = published.json()["consistency_token"]
        spb = await client.get("/api/v1/catalog/tariffs?region=spb", headers={TOKEN: token})
        everywhere = await client.get("/api/v1/catalog/tariffs/t_regional", headers={TOKEN: token})
    assert published.status_code == 201
    listed = {t["id"]: t for t in spb.json()["tariffs"]}
    assert listed["t_regional"]["prices"]["recurring_fee"] == "350.00"
    assert listed["t_regional"]["included"]["data_mb"] == 10240
    assert "classic_2019" not in listed  # retired: not open for choice
    by_region = everywhere.json()["prices_by_region"]
    assert {r: p["recurring_fee"] for r, p in by_region.items()} == {
        "moscow": "400.00",
        "spb": "350.00",
        "kazan": "300.00",
        "novosibirsk": "280.00",
    }


async def test_the_tariff_list_has_an_etag_and_an_unchanged_list_is_not_sent_again(
    clocked_stack: Stack,
) -> None:
    async with clocked_stack.client() as client:
        first = await client.get("/api/v1/catalog/tariffs?region=moscow")
        again = await client.get(
            "/api/v1/catalog/tariffs?region=moscow",
            headers={"If-None-Match": first.headers["etag"]},
        )
        published = await publish(client, clocked_stack, tariff_spec("t_etag"))
        changed = await client.get(
            "/api/v1/catalog/tariffs?region=moscow",
            headers={
                "If-None-Match": first.headers["etag"],
                TOKEN: published.json()["consistency_token"],
            },
        )
    assert first.status_code == 200 and first.headers["etag"]
    assert again.status_code == 304 and again.content == b""
    assert changed.status_code == 200
    assert changed.headers["etag"] != first.headers["etag"]


async def test_a_price_change_from_tomorrow_leaves_todays_price_in_force_and_history_shows_both(
    clocked_stack: Stack, clock: ManualClock
) -> None:
    tomorrow = clock.now() + timedelta(days=1)
    async with clocked_stack.client() as client:
        changed = await client.post(
            "/ops/v1/catalog/tariffs/smart/prices",
            json={
                "component": "recurring_fee",
                "region": "moscow",
                "amount": "600.00",
                "valid_from": tomorrow.isoformat(),
            },
            headers=clocked_stack.ops_headers,
        )
        token = {TOKEN: changed.json()["consistency_token"]}
        today = await client.get("/api/v1/catalog/tariffs/smart?region=moscow", headers=token)
        listed_today = await client.get("/api/v1/catalog/tariffs?region=moscow", headers=token)
        history = await client.get("/api/v1/catalog/tariffs/smart/prices?region=moscow")
        clock.advance(timedelta(days=1))
        next_day = await client.get("/api/v1/catalog/tariffs/smart?region=moscow")
        listed_next_day = await client.get("/api/v1/catalog/tariffs?region=moscow")
        back_then = await client.get(
            "/api/v1/catalog/tariffs/smart",
            params={"region": "moscow", "at": (tomorrow - timedelta(hours=1)).isoformat()},
        )
    assert changed.status_code == 201
    assert today.json()["prices"]["recurring_fee"] == "550.00"
    smart_today = next(t for t in listed_today.json()["tariffs"] if t["id"] == "smart")
    assert smart_today["prices"]["recurring_fee"] == "550.00"
    fees = [
        (p["amount"], p["valid_from"])
        for p in history.json()["prices"]
        if p["component"] == "recurring_fee"
    ]
    assert fees[0][0] == "550.00"
    assert fees[-1] == ("600.00", tomorrow.isoformat())
    assert next_day.json()["prices"]["recurring_fee"] == "600.00"
    smart_next_day = next(t for t in listed_next_day.json()["tariffs"] if t["id"] == "smart")
    assert smart_next_day["prices"]["recurring_fee"] == "600.00"
    assert back_then.json()["prices"]["recurring_fee"] == "550.00"


async def test_a_retired_tariff_leaves_the_list_but_can_still_be_read(clocked_stack: Stack) -> None:
    async with clocked_stack.client() as client:
        await publish(client, clocked_stack, tariff_spec("t_old"))
        retired = await client.post(
            "/ops/v1/catalog/tariffs/t_old/retirement",
            json={"replacement_tariff_id": "smart"},
            headers=clocked_stack.ops_headers,
        )
        token = {TOKEN: retired.json()["consistency_token"]}
        listed = await client.get("/api/v1/catalog/tariffs?region=moscow", headers=token)
        read = await client.get("/api/v1/catalog/tariffs/t_old", headers=token)
        again = await client.post(
            "/ops/v1/catalog/tariffs/t_old/retirement", json={}, headers=clocked_stack.ops_headers
        )
    assert retired.status_code == 201
    assert "t_old" not in {t["id"] for t in listed.json()["tariffs"]}
    assert read.json()["available"] is False
    assert read.json()["replacement_tariff_id"] == "smart"
    assert again.status_code == 409


async def test_every_bad_catalog_write_is_a_problem_naming_the_field(
    clocked_stack: Stack, clock: ManualClock
) -> None:
    yesterday = (clock.now() - timedelta(days=1)).isoformat()
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("/ops/v1/catalog/tariffs", tariff_spec("smart"), 409, "id"),
        ("/ops/v1/catalog/tariffs", tariff_spec("Bad Id"), 422, "tariff_id"),
        ("/ops/v1/catalog/tariffs", {**tariff_spec("t_x"), "prices": {}}, 422, "prices"),
        (
            "/ops/v1/catalog/tariffs",
            {**tariff_spec("t_y"), "prices": {"moscow": {"recurring_fee": "-1"}}},
            422,
            "prices.moscow.recurring_fee",
        ),
        (
            "/ops/v1/catalog/options",
            {
                "option_id": "o_x",
                "name": "X",
                "kind": "package",
                "fee_period": "month",
                "prices": {"moscow": {"recurring_fee": "10.00"}},
                "requires_option_ids": ["no_such_option"],
            },
            404,
            "requires_option_ids",
        ),
        (
            "/ops/v1/catalog/options",
            {
                "option_id": "o_y",
                "name": "Y",
                "kind": "service",
                "prices": {"moscow": {"recurring_fee": "1.00"}},
            },
            422,
            "fee_period",
        ),
        (
            "/ops/v1/catalog/tariffs/smart/prices",
            {"component": "minute", "region": "moscow", "amount": "1.00", "valid_from": yesterday},
            422,
            "valid_from",
        ),
        (
            "/ops/v1/catalog/tariffs/smart/prices",
            {"component": "tea", "region": "moscow", "amount": "1.00"},
            422,
            "component",
        ),
        (
            "/ops/v1/catalog/tariffs/senior/prices",
            {"component": "minute", "region": "novosibirsk", "amount": "1.00"},
            422,
            "region",
        ),
        (
            "/ops/v1/catalog/tariffs/nope/prices",
            {"component": "minute", "region": "moscow", "amount": "1"},
            404,
            "tariff_id",
        ),
    ]
    async with clocked_stack.client() as client:
        for path, body, status, field in cases:
            answer = await client.post(path, json=body, headers=clocked_stack.ops_headers)
            assert (answer.status_code, answer.json().get("field")) == (status, field), body
            assert answer.headers["content-type"] == "application/problem+json"
        region = await client.get("/api/v1/catalog/tariffs?region=atlantis")
        unauthorised = await client.post("/ops/v1/catalog/tariffs", json=tariff_spec("t_z"))
    assert (region.status_code, region.json()["field"]) == (422, "region")
    assert unauthorised.status_code == 401


async def test_the_demo_catalog_has_the_blacklist_at_the_sources_prices(
    clocked_stack: Stack,
) -> None:
    demo = json.loads(CATALOG.read_text())
    async with clocked_stack.client() as client:
        tariffs = await client.get("/api/v1/catalog/tariffs")
        options = await client.get("/api/v1/catalog/options")
        moscow = await client.get("/api/v1/catalog/options/blacklist?region=moscow")
        spb = await client.get("/api/v1/catalog/options/blacklist?region=spb")
        regions = await client.get("/api/v1/catalog/regions")
    assert len(demo["tariffs"]) >= 5 and len(tariffs.json()["tariffs"]) >= 5
    kinds = [o["kind"] for o in options.json()["options"]]
    assert len(kinds) >= 12 and "content" in kinds
    assert {"mobile_internet", "mms"} <= {o["id"] for o in options.json()["options"]}
    assert moscow.json()["prices"] == {
        "connect_fee": "0.00",
        "recurring_fee": "1.00",
        "add_fee": "1.50",
    }
    assert spb.json()["prices"] == {
        "connect_fee": "0.00",
        "recurring_fee": "1.50",
        "add_fee": "1.50",
    }
    assert moscow.json()["fee_period"] == "day"
    assert {"moscow", "spb", "kazan", "novosibirsk"} <= set(regions.json()["regions"])


async def test_account_learns_a_new_tariff_from_the_catalogs_events(clocked_stack: Stack) -> None:
    async with clocked_stack.client() as client:
        published = await publish(client, clocked_stack, tariff_spec("t_fresh"))
        activated = await client.post(
            "/ops/v1/subscribers",
            json={
                "msisdn": "79990001122",
                "owner_name": "Олег Н",
                "region": "kazan",
                "tariff_id": "t_fresh",
            },
            headers={**clocked_stack.ops_headers, TOKEN: published.json()["consistency_token"]},
        )
        anna = await sign_in(client, "79990001122", activated.json()["consistency_token"])
        tariffs = await client.get("/api/v1/me/tariff", headers=anna)
    assert activated.status_code == 201, activated.text
    current = tariffs.json()["tariffs"][0]
    assert (current["id"], current["current"]) == ("t_fresh", True)
    assert current["prices"]["recurring_fee"] == "300.00"


async def test_a_tariff_refused_as_existing_uses_up_no_catalog_position(
    clocked_stack: Stack,
) -> None:
    """Account counts the catalog positions it applied to know it has caught up: a hole
    left by a refused save would make every later wait on the catalog run out."""
    async with clocked_stack.client() as client:
        first = await publish(client, clocked_stack, tariff_spec("t_once"))
        again = await publish(client, clocked_stack, tariff_spec("t_once"))
        second = await publish(client, clocked_stack, tariff_spec("t_next"))
        third = await publish(client, clocked_stack, tariff_spec("t_last"))
    statuses = [r.status_code for r in (first, again, second, third)]
    assert statuses == [201, 409, 201, 201]
    a, b, c = (
        consistency.decode(r.json()["consistency_token"])["catalog"] for r in (first, second, third)
    )
    assert b - a == c - b  # as many positions as one tariff's events, with a refusal between
