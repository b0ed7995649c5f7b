"""kill -9 of payments while it applies charges and top-ups: exact after the restart."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from kabinet.settings import Settings
from services.payments.domain import Balance
from suite.testing import spawn, wait_until
from tests.integration.helpers import (
    DetailingFeed,
    jetstream,
    numbers,
    open_balances,
    payments_app,
)

pytestmark = pytest.mark.integration

CHARGES = 1_000
TOP_UPS = 100


async def ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=1.0) as client:
            return (await client.get(f"{url}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


async def top_up_until_answered(
    client: httpx.AsyncClient, msisdn: str, kopecks: int, key: str
) -> None:
    """A client that retries with the same key until the service answers (it may be down)."""
    while True:
        try:
            response = await client.post(
                f"/balances/{msisdn}/topups",
                json={"amount": kopecks / 100},
                headers={"Idempotency-Key": key},
            )
        except httpx.TransportError:
            await asyncio.sleep(0.05)  # poll: the service is being restarted
            continue
        assert response.status_code == 201, response.text
        return


async def test_payments_killed_mid_stream_applies_each_charge_and_top_up_exactly_once(
    settings: Settings,
) -> None:
    msisdns = numbers(6)
    app = payments_app(settings)
    open_balances(app, msisdns)
    url = settings.url_of("payments")
    upstreams: list[str] = []
    expected = Counter[str]()
    child = spawn("payments", settings, KABINET_CONSUMER_BATCH="20")
    try:
        await wait_until(lambda: ready(url))
        async with jetstream(settings) as (_, js), httpx.AsyncClient(base_url=url) as client:
            feed = DetailingFeed(js, settings)

            async def charges(first: int, last: int) -> None:
                for n in range(first, last):
                    msisdn = msisdns[n % len(msisdns)]
                    await feed.charge(msisdn, 1_00 + n % 7, charge_id=f"crash-{n}")
                    expected[msisdn] -= 1_00 + n % 7

            async def top_ups() -> None:
                for n in range(TOP_UPS):
                    msisdn = msisdns[n % len(msisdns)]
                    await top_up_until_answered(client, msisdn, 50_00 + n, f"crash-topup-{n}")
                    expected[msisdn] += 50_00 + n

            paying = asyncio.create_task(top_ups())
            await charges(0, 300)
            upstreams = sorted(feed.last)

            async def applying() -> bool:
                return sum(app.tracked_position(u) > 0 for u in upstreams) >= 2

            await wait_until(applying)
            child.kill()
            assert await asyncio.to_thread(child.wait, 30) == -9
            await charges(300, CHARGES)
            child = spawn("payments", settings, KABINET_CONSUMER_BATCH="20")
            await paying

            async def caught_up() -> bool:
                return all(app.tracked_position(u) >= p for u, p in feed.last.items())

            await wait_until(caught_up, timeout=120)
    finally:
        child.terminate()
        await asyncio.to_thread(child.wait, 30)

    applied: Counter[str] = Counter()
    for msisdn in msisdns:
        events = list(app.repository.event_store.get(Balance.id_for(msisdn)))
        charged = [e.charge_id for e in events if isinstance(e, Balance.ChargeApplied)]
        paid = [e.payment_id for e in events if isinstance(e, Balance.PaymentPosted)]
        assert len(set(paid)) == len(paid)
        applied.update(charged)
        assert app.repository.get(Balance.id_for(msisdn)).kopecks == expected[msisdn]
        assert sum(getattr(e, "delta", 0) for e in events) == expected[msisdn]
    assert len(applied) == CHARGES
    assert set(applied.values()) == {1}
