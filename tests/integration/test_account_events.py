"""Every event account and catalog publish during a scenario is an event of the contract."""

from __future__ import annotations

import json

from contracts.registry import parse_event
from suite.testing import Stack
from tests.integration.helpers import read_stream
from tests.integration.test_account import activate, me

ACCOUNT_TYPES = {
    "SubscriberActivated",
    "ProfileUpdated",
    "TariffChanged",
    "OptionToggled",
    "ServiceSuspended",
    "ServiceResumed",
    "BlacklistNumberAdded",
    "BlacklistNumberRemoved",
    "SubscriptionAdded",
    "SubscriptionCancelled",
    "SupportQuestionAsked",
    "SupportQuestionAnswered",
}
CATALOG_TYPES = {"TariffPublished", "OptionPublished", "PriceChanged", "TariffRetired"}


async def test_every_event_published_in_the_scenarios_validates_against_the_contract(
    clocked_stack: Stack,
) -> None:
    ops = clocked_stack.ops_headers
    async with clocked_stack.client() as client:
        msisdn = await activate(
            client, clocked_stack, region="spb", iccid="8970199012345678901", puk="24681357"
        )
        await client.patch(
            "/api/v1/me/profile",
            json={"email": "e@example.ru", "language": "en"},
            headers=me(msisdn),
        )
        await client.put("/api/v1/me/tariff", json={"tariff_id": "unlimited"}, headers=me(msisdn))
        await client.put("/api/v1/me/options/internet_5gb", headers=me(msisdn))
        await client.post("/api/v1/me/suspension", json={}, headers=me(msisdn))
        await client.delete("/api/v1/me/suspension", headers=me(msisdn))
        await client.post(
            "/api/v1/me/blacklist", json={"number": "79217654321"}, headers=me(msisdn)
        )
        await client.delete("/api/v1/me/blacklist/79217654321", headers=me(msisdn))
        await client.post(
            f"/ops/v1/subscribers/{msisdn}/subscriptions",
            json={"option_id": "news_digest"},
            headers=ops,
        )
        await client.delete("/api/v1/me/subscriptions/news_digest", headers=me(msisdn))
        asked = await client.post(
            "/api/v1/me/support/questions", json={"topic": "other", "text": "?"}, headers=me(msisdn)
        )
        await client.post(
            f"/ops/v1/subscribers/{msisdn}/support/questions/{asked.json()['question_id']}/answer",
            json={"text": "!"},
            headers=ops,
        )
        await client.post(
            "/ops/v1/catalog/tariffs/smart/prices",
            json={"component": "minute", "region": "spb", "amount": "2.20"},
            headers=ops,
        )
    account = await read_stream(clocked_stack, "account")
    catalog = await read_stream(clocked_stack, "catalog")

    account_events = [parse_event(data) for data in account]
    catalog_events = [parse_event(data) for data in catalog]
    assert {e.type for e in account_events} == ACCOUNT_TYPES
    assert {e.type for e in catalog_events} == CATALOG_TYPES
    assert all(e.producer == "catalog" and e.msisdn is None for e in catalog_events)
    assert all("24681357" not in data.decode() and "puk" not in data.decode() for data in account)
    added = next(e for e in account_events if e.type == "BlacklistNumberAdded")
    assert json.loads(added.model_dump_json())["daily_fee_kopecks"] == 150  # St Petersburg
    assert json.loads(added.model_dump_json())["add_fee_kopecks"] == 150
