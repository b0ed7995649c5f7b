"""The payments service's HTTP entry points on in-memory persistence."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from kabinet.runtime import ServiceParts, create_service_app
from kabinet.settings import Settings
from services.payments import api
from services.payments.application import PaymentsApplication
from services.payments.autopays import Autopays
from services.payments.card_topups import CardTopUps
from services.payments.deps import TopUpChannels
from services.payments.domain import Balance
from services.payments.withdrawals import Withdrawals
from tests.unit.test_payments_autopay import Bank
from tests.unit.test_payments_ledger import ANNA, BORIS


@pytest.fixture
def payments() -> PaymentsApplication:
    app = PaymentsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.save(Balance.open(ANNA))
    return app


@pytest.fixture
async def prod(payments: PaymentsApplication) -> AsyncIterator[httpx.AsyncClient]:
    """The service as outside the dev profile: a top-up needs a card."""
    bank = Bank()
    parts = ServiceParts(
        "payments",
        [api.router],
        payments,
        provides=[
            CardTopUps(payments, bank),
            Withdrawals(payments, bank),
            Autopays(payments, bank),
            TopUpChannels(direct=False),
        ],
    )
    service = create_service_app(parts, Settings())
    transport = httpx.ASGITransport(app=service)
    async with httpx.AsyncClient(transport=transport, base_url="http://payments") as client:
        yield client


async def test_a_top_up_without_a_card_outside_the_dev_profile_is_refused_naming_its_rule(
    prod: httpx.AsyncClient, payments: PaymentsApplication
) -> None:
    refused = await prod.post(
        f"/balances/{ANNA}/topups", json={"amount": "100.00"}, headers={"Idempotency-Key": "k1"}
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (refused.json()["rule"], refused.json()["field"]) == (
        "topup_card_required",
        "card_token",
    )
    assert (payments.balance(ANNA).version, payments.balance(ANNA).kopecks) == (1, 0)


@pytest.mark.parametrize("amount", ["0", "-1.00"])
async def test_an_amount_of_zero_or_less_is_malformed_and_leaves_its_key_free(
    prod: httpx.AsyncClient, payments: PaymentsApplication, amount: str
) -> None:
    payments.save(Balance.open(BORIS))
    payments.top_up(ANNA, 100_00, "k0")
    path, key = f"/balances/{ANNA}/transfers", {"Idempotency-Key": "t1"}
    malformed = await prod.post(path, json={"to": BORIS, "amount": amount}, headers=key)
    sent = await prod.post(path, json={"to": BORIS, "amount": "1.00"}, headers=key)
    assert (malformed.status_code, malformed.json()["field"]) == (422, "amount")
    assert "rule" not in malformed.json()
    assert sent.status_code == 201, sent.text
