"""Card top-ups through the acquirer simulator: capture, decline, timeout with a late
callback, duplicate callbacks, bad signatures and the janitor's polling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from kabinet.settings import Settings
from services.payments.acquirer.settings import AcquirerSettings
from services.payments.acquirer.signing import SIGNATURE_HEADER, sign
from services.payments.acquirer.simulator import create_simulator
from services.payments.acquiring import HttpAcquirer
from services.payments.card_topups import CardTopUps
from services.payments.withdrawals import Withdrawals
from suite.servers import free_port
from suite.testing import InProcess, Stack, in_process, wait_until
from tests.integration.helpers import DetailingFeed, activate_and_sign_in, jetstream, numbers
from tests.integration.test_payments_api import me

pytestmark = pytest.mark.integration

SECRET = "test-acquirer-secret"
CARDS = {
    "ok": "4111 1111 1111 1111",
    "decline": "4000 0000 0000 0002",
    "timeout": "4000 0000 0000 0119",
    "twice": "4000 0000 0000 0259",
    "silent": "4000 0000 0000 0341",
}


@pytest.fixture
async def bank(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stack]:
    port = free_port()
    acquirer = AcquirerSettings(
        port=port,
        secret=SECRET,
        hang_seconds=0.6,
        callback_url=f"{settings.url_of('payments')}/acquirer/callbacks",
    )
    monkeypatch.setenv("KABINET_ACQUIRER_URL", acquirer.base_url)
    monkeypatch.setenv("KABINET_ACQUIRER_SECRET", SECRET)
    monkeypatch.setenv("KABINET_ACQUIRER_TIMEOUT", "0.2")
    simulator = await InProcess("acquirer", create_simulator(acquirer), port).start()
    try:
        async with in_process(settings, "account", "auth", "payments", "gateway") as stack:
            yield stack
    finally:
        await simulator.stop()


class Subscriber:
    def __init__(self, stack: Stack, client: httpx.AsyncClient, msisdn: str, token: str) -> None:
        self.stack, self.client, self.msisdn, self.token = stack, client, msisdn, token

    async def card(self, kind: str) -> str:
        async with httpx.AsyncClient(base_url=self.acquirer_url) as acquirer:
            answer = await acquirer.post(
                "/v1/cards",
                json={"number": CARDS[kind], "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            )
        assert answer.status_code == 201, answer.text
        token: str = answer.json()["card_token"]
        return token

    @property
    def acquirer_url(self) -> str:
        return AcquirerSettings().base_url

    async def top_up(self, amount: str, card_token: str, key: str) -> httpx.Response:
        return await self.client.post(
            "/api/v1/me/topups",
            json={"amount": amount, "card_token": card_token},
            headers=me(self.msisdn, key, self.token),
        )

    async def balance(self) -> str:
        response = await self.client.get("/api/v1/me/balance", headers=me(self.msisdn))
        balance: str = response.json()["balance"]
        return balance

    async def callback(self, body: dict[str, Any], secret: str = SECRET) -> httpx.Response:
        raw = json.dumps(body).encode()
        async with self.stack.client("payments") as payments:
            return await payments.post(
                "/acquirer/callbacks", content=raw, headers={SIGNATURE_HEADER: sign(secret, raw)}
            )


@pytest.fixture
async def anna(bank: Stack) -> AsyncIterator[Subscriber]:
    (msisdn,) = numbers(1)
    async with bank.client() as client:
        token = await activate_and_sign_in(client, bank.ops_headers, msisdn)
        yield Subscriber(bank, client, msisdn, token)


async def test_a_good_card_is_captured_and_posts_the_money_at_once(anna: Subscriber) -> None:
    paid = await anna.top_up("250.00", await anna.card("ok"), "k1")
    assert paid.status_code == 201, paid.text
    assert (paid.json()["status"], paid.json()["balance"]) == ("succeeded", "250.00")
    assert await anna.balance() == "250.00"


async def test_a_declined_card_is_a_402_problem_and_moves_no_money(anna: Subscriber) -> None:
    card = await anna.card("decline")
    refused = await anna.top_up("250.00", card, "k1")
    again = await anna.top_up("250.00", card, "k1")
    assert refused.status_code == again.status_code == 402, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (refused.json()["rule"], refused.json()["field"]) == ("card_declined", "card_token")
    assert await anna.balance() == "0.00"


async def test_a_timed_out_payment_stays_pending_until_the_late_callback_captures_it(
    anna: Subscriber,
) -> None:
    card = await anna.card("timeout")
    pending = await anna.top_up("300.00", card, "k1")
    assert pending.status_code == 202, pending.text
    assert pending.json()["status"] == "pending"
    assert await anna.balance() == "0.00"

    async def credited() -> bool:
        return await anna.balance() == "300.00"

    await wait_until(credited, timeout=20)
    settled = await anna.top_up("300.00", card, "k1")
    assert (settled.status_code, settled.json()["status"]) == (201, "succeeded")


async def test_a_repeated_callback_posts_the_money_once(anna: Subscriber) -> None:
    pending = await anna.top_up("120.00", await anna.card("silent"), "k1")
    notice = {"payment_id": pending.json()["payment_id"], "status": "captured"}
    first = await anna.callback({**notice, "amount_kopecks": 120_00})
    second = await anna.callback({**notice, "amount_kopecks": 120_00})
    assert (first.json(), second.json()) == ({"settled": True}, {"settled": False})
    twice = await anna.top_up("80.00", await anna.card("twice"), "k2")
    assert twice.status_code == 201, twice.text
    assert await anna.balance() == "200.00"


async def test_a_callback_with_a_bad_signature_changes_nothing_and_is_logged(
    anna: Subscriber,
) -> None:
    pending = await anna.top_up("120.00", await anna.card("silent"), "k1")
    notice = {"payment_id": pending.json()["payment_id"], "status": "captured"}
    with capture_logs() as logs:
        forged = await anna.callback({**notice, "amount_kopecks": 120_00}, secret="guess")
    assert forged.status_code == 401
    assert forged.json()["field"] == "signature"
    assert any(e["event"] == "acquirer_callback_bad_signature" for e in logs)
    assert await anna.balance() == "0.00"


async def test_the_janitor_settles_a_pending_top_up_by_asking_the_acquirer(
    anna: Subscriber, bank: Stack
) -> None:
    pending = await anna.top_up("99.00", await anna.card("silent"), "k1")
    payment_id = pending.json()["payment_id"]
    janitor = CardTopUps(bank.app_of("payments"), HttpAcquirer(AcquirerSettings()))
    assert await asyncio.to_thread(janitor.settle_pending) == 0  # the bank is still at it

    async def captured_by_the_bank() -> bool:
        async with httpx.AsyncClient(base_url=anna.acquirer_url) as acquirer:
            answer = await acquirer.get(f"/v1/payments/{payment_id}")
        return bool(answer.json()["status"] == "captured")

    await wait_until(captured_by_the_bank, timeout=20)
    assert await asyncio.to_thread(janitor.settle_pending) == 1
    assert await asyncio.to_thread(janitor.settle_pending) == 0
    assert await anna.balance() == "99.00"


async def direct_top_up(anna: Subscriber, amount: str) -> None:
    paid = await anna.client.post(
        "/api/v1/me/topups",
        json={"amount": amount},
        headers=me(anna.msisdn, f"direct-{amount}", anna.token),
    )
    assert paid.status_code == 201, paid.text


async def withdraw(anna: Subscriber, amount: str, card: str, key: str) -> httpx.Response:
    return await anna.client.post(
        "/api/v1/me/withdrawals",
        json={"amount": amount, "card_token": card, "card_last4": "1111"},
        headers=me(anna.msisdn, key),
    )


async def test_a_withdrawal_to_a_good_card_is_paid_out_once(anna: Subscriber) -> None:
    await direct_top_up(anna, "500")
    card = await anna.card("ok")
    paid = await withdraw(anna, "200.00", card, "w1")
    again = await withdraw(anna, "200.00", card, "w1")
    assert paid.status_code == 201, paid.text
    assert again.json() == paid.json()
    assert (paid.json()["status"], paid.json()["balance"]) == ("paid", "300.00")
    assert await anna.balance() == "300.00"


async def test_a_rejected_payout_returns_the_held_money(anna: Subscriber) -> None:
    await direct_top_up(anna, "500")
    refused = await withdraw(anna, "200.00", await anna.card("decline"), "w1")
    history = await anna.client.get("/api/v1/me/operations", headers=me(anna.msisdn))
    assert refused.status_code == 402, refused.text
    assert refused.json()["rule"] == "payout_rejected"
    assert await anna.balance() == "500.00"
    kinds = [(i["kind"], i["amount"]) for i in history.json()["items"]]
    assert kinds == [
        ("withdrawal_returned", "200.00"),
        ("withdrawal", "-200.00"),
        ("topup", "500.00"),
    ]


async def test_a_payout_of_unknown_outcome_stays_held_until_the_janitor_learns_it(
    anna: Subscriber, bank: Stack
) -> None:
    await direct_top_up(anna, "500")
    held = await withdraw(anna, "150.00", await anna.card("silent"), "w1")
    assert (held.status_code, held.json()["status"]) == (202, "pending")
    assert await anna.balance() == "350.00"
    janitor = Withdrawals(bank.app_of("payments"), HttpAcquirer(AcquirerSettings()))

    async def paid_by_the_bank() -> bool:
        async with httpx.AsyncClient(base_url=anna.acquirer_url) as acquirer:
            answer = await acquirer.get(f"/v1/payouts/{held.json()['withdrawal_id']}")
        return bool(answer.json()["status"] == "captured")

    await wait_until(paid_by_the_bank, timeout=20)
    assert await asyncio.to_thread(janitor.settle_pending) == 1
    again = await withdraw(anna, "150.00", "ignored", "w1")
    assert again.status_code == 422  # another body under the same key
    assert await anna.balance() == "350.00"


@pytest.mark.parametrize(
    ("amount", "status", "rule"),
    [("99.99", 422, "withdrawal_limit"), ("600.00", 409, "withdrawal_own_money")],
)
async def test_a_withdrawal_outside_the_rules_is_refused_and_holds_nothing(
    anna: Subscriber, amount: str, status: int, rule: str
) -> None:
    await direct_top_up(anna, "500")
    refused = await withdraw(anna, amount, await anna.card("ok"), "w1")
    assert (refused.status_code, refused.json()["rule"]) == (status, rule)
    assert await anna.balance() == "500.00"


async def test_autopay_tops_up_once_from_the_linked_card_when_a_charge_crosses_the_threshold(
    anna: Subscriber, bank: Stack
) -> None:
    await direct_top_up(anna, "150")
    as_anna = me(anna.msisdn)
    setup = {
        "card_token": await anna.card("ok"),
        "card_last4": "1111",
        "threshold": "100.00",
        "amount": "300.00",
        "monthly_cap": "1000.00",
    }
    configured = await anna.client.put("/api/v1/me/autopay", json=setup, headers=as_anna)
    bad = await anna.client.put(
        "/api/v1/me/autopay", json={**setup, "monthly_cap": "100"}, headers=as_anna
    )
    assert configured.status_code == 200, configured.text
    assert (bad.status_code, bad.json()["rule"]) == (422, "autopay_cap")
    async with jetstream(bank.settings) as (_, js):
        feed = DetailingFeed(js, bank.settings)
        await feed.charge(anna.msisdn, 60_00)
        await feed.charge(anna.msisdn, 5_00)

    async def topped_up() -> bool:
        return await anna.balance() == "385.00"

    await wait_until(topped_up, timeout=20)  # the worker asks the acquirer every second
    shown = await anna.client.get("/api/v1/me/autopay", headers=as_anna)
    history = await anna.client.get("/api/v1/me/operations", headers=as_anna)
    cancelled = await anna.client.delete("/api/v1/me/autopay", headers=as_anna)
    later = await anna.client.post(
        "/api/v1/me/topups", json={"amount": "15"}, headers=me(anna.msisdn, "later")
    )
    dashboard = await anna.client.get(
        "/api/v1/me/dashboard",
        headers=me(anna.msisdn, token=later.json()["consistency_token"]),
    )
    assert "Kabinet-Stale" not in dashboard.headers  # the relay went past the settings events
    assert (dashboard.json()["balance"], dashboard.json()["missing"]) == ("400.00", [])
    assert shown.json()["month_total"] == "300.00"
    assert [i["kind"] for i in history.json()["items"]][:1] == ["autopay"]
    assert cancelled.json()["enabled"] is False
