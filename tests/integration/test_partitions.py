"""Partitions, replicas and dead letters."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import pytest

from contracts.payments import PaymentPosted
from contracts.subjects import (
    dead_letter_stream,
    partition_of,
    subject,
    upstream_name,
)
from kabinet.effects import wait_for_position
from kabinet.settings import Settings
from suite.servers import free_port
from suite.testing import in_process, spawn, wait_until
from tests.integration.helpers import (
    AccountProjections,
    jetstream,
    numbers,
    open_balances,
    stream_positions,
    top_up_round_robin,
)

pytestmark = pytest.mark.integration


def applied_by(metrics_text: str) -> float:
    for line in metrics_text.splitlines():
        if line.startswith('kabinet_consumer_applied_total{service="account",upstream="payments"}'):
            return float(line.split()[-1])
    return 0.0


async def test_two_replicas_share_the_partitions_and_apply_each_event_once_in_order(
    settings: Settings,
) -> None:
    msisdns = numbers(40)
    ports = [free_port(), free_port()]
    replicas = [
        spawn("account", settings, "--replica", str(i), "--replicas", "2", "--port", str(port))
        for i, port in enumerate(ports)
    ]
    store = AccountProjections(settings)
    try:
        async with in_process(settings, "payments") as stack:
            app = stack.app_of("payments")
            open_balances(app, msisdns)
            last = await asyncio.to_thread(top_up_round_robin, app, msisdns, 10, settings)

            async def caught_up() -> bool:
                positions = {u: store.position("last_topup", u) for u in last}
                return positions == last

            await wait_until(caught_up)
        async with jetstream(settings) as (_, js):
            published = len(await stream_positions(js, "payments", settings))
        async with httpx.AsyncClient() as client:
            applied = [
                applied_by((await client.get(f"http://127.0.0.1:{port}/metrics")).text)
                for port in ports
            ]
    finally:
        for process in replicas:
            process.terminate()
        for process in replicas:
            await asyncio.to_thread(process.wait, 30)

    rows = store.query("SELECT topups, total_kopecks, out_of_order FROM {schema}.last_topup")
    assert len(rows) == 40
    total = sum(100_00 + r for r in range(10))
    assert {(r["topups"], r["total_kopecks"], r["out_of_order"]) for r in rows} == {(10, total, 0)}
    assert published >= 440  # 40 openings, 400 top-ups, and what else top-ups publish
    assert sum(applied) == published  # each applied (or skipped) by one replica
    assert all(count > 0 for count in applied)  # both replicas did part of the work


async def test_a_malformed_message_goes_to_dead_letters_and_its_partition_keeps_flowing(
    settings: Settings,
) -> None:
    msisdn = numbers(1)[0]
    partition = partition_of(msisdn, settings.partitions)
    where = subject("payments", partition, "PaymentPosted", settings.namespace)
    valid = PaymentPosted(
        event_id=uuid4(),
        occurred_at=datetime.now(UTC),
        position=1,
        msisdn=msisdn,
        sequence=2,
        payment_id="p-1",
        amount_kopecks=150_00,
        balance_kopecks=150_00,
    )
    async with in_process(settings, "account") as stack, jetstream(settings) as (_, js):
        account = stack.running["account"].app.state.runtime
        await js.publish(where, b'{"type": "PaymentPosted", "producer": "payments", "amount": -1}')
        await js.publish(where, b"not json at all")
        await js.publish(where, valid.model_dump_json().encode())
        effects = next(s.effects for s in account.parts.subscriptions if s.producer == "payments")
        upstream = upstream_name("payments", partition)
        assert await wait_for_position(effects, upstream, 1, timeout=30)
        dead = await js.stream_info(dead_letter_stream(settings.namespace))
        first = await js.get_msg(dead_letter_stream(settings.namespace), dead.state.first_seq)
        second = await js.get_msg(dead_letter_stream(settings.namespace), dead.state.first_seq + 1)
    store = AccountProjections(settings)
    row = store.query("SELECT amount_kopecks FROM {schema}.last_topup WHERE msisdn = %s", (msisdn,))
    assert row[0]["amount_kopecks"] == 150_00
    assert dead.state.messages == 2
    assert "invalid PaymentPosted" in (first.headers or {})["Kabinet-Dead-Letter-Reason"]
    assert "not JSON" in (second.headers or {})["Kabinet-Dead-Letter-Reason"]
    assert json.loads(first.data)["amount"] == -1
