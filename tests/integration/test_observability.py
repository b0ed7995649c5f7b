"""Correlation ids across HTTP, NATS and stored events; health, readiness and metrics."""

from __future__ import annotations

import json

import httpx
import pytest

from contracts.subjects import stream_name
from suite.testing import Stack
from tests.integration.helpers import jetstream, me, numbers, read_stream, sign_in

pytestmark = pytest.mark.integration


async def test_a_correlation_id_follows_the_work_from_http_through_nats_into_effects(
    stack: Stack,
) -> None:
    msisdn = numbers(1)[0]
    correlation = "corr-test-7f3a"
    async with stack.client() as client:
        activated = await client.post(
            "/ops/v1/subscribers",
            json={
                "msisdn": msisdn,
                "owner_name": "Ольга Ивановна Мельникова",
                "region": "moscow",
                "tariff_id": "smart",
            },
            headers={**stack.ops_headers, "X-Correlation-ID": correlation},
        )
        await sign_in(client, msisdn, activated.json()["consistency_token"])
        paid = await client.post(
            "/api/v1/me/topups",
            json={"amount": "50.00"},
            headers={
                **me(msisdn, "c1", activated.json()["consistency_token"]),
                "X-Correlation-ID": correlation,
            },
        )
    assert activated.headers["X-Correlation-ID"] == correlation
    assert paid.status_code == 201, paid.text

    payments = [json.loads(data) for data in await read_stream(stack, "payments")]
    async with jetstream(stack.settings) as (_, js):
        account = await js.get_msg(stream_name("account", stack.settings.namespace), 1)
    activation = json.loads(account.data)
    opened = next(e for e in payments if e["type"] == "BalanceOpened" and e["msisdn"] == msisdn)
    posted = next(e for e in payments if e["type"] == "PaymentPosted" and e["msisdn"] == msisdn)
    assert (account.headers or {})["X-Correlation-ID"] == correlation
    assert activation["correlation_id"] == correlation
    # payments opened the balance because of the activation event: same work, caused by it
    assert opened["correlation_id"] == correlation
    assert opened["causation_id"] == activation["event_id"]
    assert posted["correlation_id"] == correlation


async def test_every_process_reports_health_readiness_and_metrics(stack: Stack) -> None:
    async with httpx.AsyncClient() as client:
        for name in ("account", "payments", "gateway"):
            base = stack.settings.url_of(name)
            assert (await client.get(f"{base}/healthz")).json() == {"status": "ok"}
            ready = await client.get(f"{base}/readyz")
            assert ready.status_code == 200
            if name != "gateway":
                assert ready.json()["checks"] == {"postgres": True, "nats": True}
            metrics = await client.get(f"{base}/metrics")
            assert "kabinet_http_request_seconds" in metrics.text
