"""Suspension for debt, driven by the PAYMENTS stream (played here by the test itself)."""

from __future__ import annotations

from typing import Any

from contracts.payments import BalanceExhausted, PaymentPosted
from contracts.subjects import partition_of, subject
from kabinet.settings import Settings
from kabinet.streams import ensure_stream, producer_stream_config
from suite.testing import in_process
from tests.integration.helpers import jetstream, payments_event
from tests.integration.test_account import activate, me, problem_of


async def publish(settings: Settings, event: Any) -> None:
    async with jetstream(settings) as (_, js):
        await ensure_stream(js, producer_stream_config("payments", settings))
        partition = partition_of(event.msisdn, settings.partitions)
        await js.publish(
            subject("payments", partition, event.type, settings.namespace),
            event.model_dump_json().encode(),
            headers={
                "Nats-Msg-Id": f"test:{event.position}",
                "Kabinet-Position": str(event.position),
            },
        )


async def test_an_exhausted_balance_suspends_the_number_until_a_top_up_lifts_it(
    settings: Settings,
) -> None:
    async with (
        in_process(settings, "account", "auth", "gateway") as stack,
        stack.client() as client,
    ):
        msisdn = await activate(client, stack)
        await publish(settings, payments_event(BalanceExhausted, msisdn, 1, balance_kopecks=-150))
        suspended = await client.get(
            "/api/v1/me/profile", headers={**me(msisdn), "Kabinet-Consistency-Token": "payments:1"}
        )
        dashboard = await client.get(
            "/api/v1/me/dashboard",
            headers={**me(msisdn), "Kabinet-Consistency-Token": "payments:1"},
        )
        by_subscriber = await client.delete("/api/v1/me/suspension", headers=me(msisdn))
        paid = await client.put("/api/v1/me/options/internet_5gb", headers=me(msisdn))
        await publish(
            settings,
            payments_event(
                PaymentPosted,
                msisdn,
                2,
                payment_id="p1",
                amount_kopecks=500_00,
                balance_kopecks=498_50,
            ),
        )
        await stack.running["account"].app.state.runtime.wait_for("payments:2", msisdn)
        resumed = await client.get("/api/v1/me/profile", headers=me(msisdn))
        history = await client.get("/api/v1/me/history", headers=me(msisdn))
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["suspension"]["reason"] == "debt"
    assert dashboard.json()["status"] == "suspended"
    assert problem_of(by_subscriber) == (409, "status")
    assert problem_of(paid) == (409, "status")
    assert resumed.json()["status"] == "active"
    actors = [(e["actor"], e["event"]) for e in history.json()["events"]]
    assert actors[-2:] == [("system", "Suspended"), ("system", "Resumed")]
