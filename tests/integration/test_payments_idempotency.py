"""Idempotency-Key on real PostgreSQL: a refusal is the first answer for its key, and
concurrent requests with one key execute once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kabinet.domain import Conflict
from kabinet.settings import Settings
from services.payments.application import PaymentsApplication
from services.payments.domain import Balance
from services.payments.rules import InsufficientFunds
from suite.testing import Stack
from tests.integration.helpers import activate_and_sign_in, numbers, open_balances, payments_app
from tests.integration.test_payments_api import balance_of, me

pytestmark = pytest.mark.integration

OTHER = "other number"
"""Stands for the second subscriber's number in a body."""
CARD = {"card_token": "tok", "card_last4": "1111"}

REFUSALS = [
    ("/api/v1/me/topups", {"amount": "5.00"}, {"amount": "6.00"}, 422, "topup_range"),
    (
        "/api/v1/me/topups",
        {"amount": "5.00", "card_token": "tok"},
        {"amount": "7.00", "card_token": "tok"},
        422,
        "topup_range",
    ),
    (
        "/api/v1/me/promised-payment",
        {"amount": "50"},
        {"amount": "100"},
        422,
        "promise_low_balance",
    ),
    (
        "/api/v1/me/transfers",
        {"to": OTHER, "amount": "6000"},
        {"to": OTHER, "amount": "7000"},
        422,
        "transfer_limit",
    ),
    (
        "/api/v1/me/transfers",
        {"to": OTHER, "amount": "200"},
        {"to": OTHER, "amount": "300"},
        409,
        "transfer_own_money",
    ),
    (
        "/api/v1/me/withdrawals",
        {"amount": "500", **CARD},
        {"amount": "600", **CARD},
        409,
        "withdrawal_own_money",
    ),
    (
        "/api/v1/me/loyalty/redemptions",
        {"points": 105},
        {"points": 106},
        409,
        "loyalty_points",
    ),
]


def _with(body: dict[str, Any], other: str) -> dict[str, Any]:
    return {k: other if v == OTHER else v for k, v in body.items()}


@pytest.mark.parametrize(("path", "body", "another", "status", "rule"), REFUSALS)
async def test_a_refused_money_request_moves_nothing_and_its_key_keeps_the_refusal(
    stack: Stack,
    path: str,
    body: dict[str, Any],
    another: dict[str, Any],
    status: int,
    rule: str,
) -> None:
    anna, boris = numbers(2)
    async with stack.client() as client:
        activated = await activate_and_sign_in(client, stack.ops_headers, anna)
        await balance_of(
            client, boris, await activate_and_sign_in(client, stack.ops_headers, boris)
        )
        await client.post(
            "/api/v1/me/topups", json={"amount": "100"}, headers=me(anna, "k0", activated)
        )
        refused = await client.post(path, json=_with(body, boris), headers=me(anna, "once"))
        # enough money now for the transfer, the withdrawal and the points: the key still refuses
        more = await client.post(
            "/api/v1/me/topups", json={"amount": "1000"}, headers=me(anna, "k1")
        )
        token = more.json()["consistency_token"]
        again = await client.post(path, json=_with(body, boris), headers=me(anna, "once", token))
        other = await client.post(path, json=_with(another, boris), headers=me(anna, "once"))
        history = await client.get("/api/v1/me/operations", headers=me(anna, token=token))
        receiver = await balance_of(client, boris)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (refused.json()["rule"], refused.json()["status"]) == (rule, status)
    assert refused.json()["field"]
    assert (again.status_code, again.json()) == (refused.status_code, refused.json())
    assert (other.status_code, other.json()["field"]) == (422, "Idempotency-Key")
    kinds = [(i["kind"], i["amount"]) for i in history.json()["items"]]
    assert kinds == [("topup", "1000.00"), ("topup", "100.00")]
    assert receiver["balance"] == "0.00"


def _at_once(count: int, call: Callable[[], Any]) -> list[Any]:
    """Run `call` in `count` threads released together; each result or raised error."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = call()
        except Exception as error:  # noqa: BLE001 - the error is the result
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def two(settings: Settings) -> Iterator[tuple[PaymentsApplication, str, str]]:
    """The payments application on PostgreSQL and two fresh, empty ledgers."""
    app = payments_app(settings)
    anna, boris = numbers(2)
    open_balances(app, [anna, boris])
    yield app, anna, boris
    app.close()


async def test_concurrent_requests_with_one_key_move_money_once_and_get_one_answer(
    two: tuple[PaymentsApplication, str, str],
) -> None:
    app, anna, boris = two
    app.top_up(anna, 1_000_00, "k0")
    results = await asyncio.to_thread(_at_once, 8, lambda: app.transfer(anna, boris, 100_00, "t1"))
    answers = [r for r in results if isinstance(r, dict)]
    assert answers, results
    assert all(a == answers[0] for a in answers)
    assert all(isinstance(r, dict | Conflict) for r in results), results  # waited, or 409
    events = app.repository.event_store.get(Balance.id_for(anna))
    assert len([e for e in events if isinstance(e, Balance.TransferSent)]) == 1
    assert (app.balance(anna).kopecks, app.balance(boris).kopecks) == (900_00, 100_00)


async def test_concurrent_refused_requests_with_one_key_get_one_refusal(
    two: tuple[PaymentsApplication, str, str],
) -> None:
    app, anna, boris = two
    results = await asyncio.to_thread(_at_once, 8, lambda: app.transfer(anna, boris, 100_00, "t1"))
    app.top_up(anna, 1_000_00, "k0")
    with pytest.raises(InsufficientFunds) as retried:
        app.transfer(anna, boris, 100_00, "t1")
    assert all(isinstance(r, InsufficientFunds) for r in results), results
    problems = {(r.status, r.message, r.field, r.rule) for r in [*results, retried.value]}
    assert len(problems) == 1
    assert problems.pop()[3] == "transfer_own_money"
    assert (app.balance(anna).kopecks, app.balance(boris).kopecks) == (1_000_00, 0)
