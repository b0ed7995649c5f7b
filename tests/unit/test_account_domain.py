"""The subscriber aggregate: options compatibility, blacklist limits, status, PUK."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kabinet.domain import KabinetError
from services.account.application import hash_puk, puk_matches
from services.account.domain import Subscriber, Who
from services.account.offers import Offer
from services.account.rules import BLACKLIST_LIMIT

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ME = Who()


def option(option_id: str, **details: object) -> Offer:
    fees = {"connect_fee": 0, "recurring_fee": 0, "add_fee": 150}
    return Offer(
        id=option_id,
        kind=str(details.pop("kind", "service")),
        name=option_id,
        regions=["moscow", "spb"],
        valid_from=NOW,
        retired_at=None,
        prices={f"{c}@{r}": [(NOW, k)] for c, k in fees.items() for r in ("moscow", "spb")},
        details={"fee_period": "day", **details},
    )


def subscriber(options: list[str] | None = None) -> Subscriber:
    return Subscriber.activate(
        "79001234567", "Анна Орлова", "moscow", "smart", option_ids=options or []
    )


def test_connecting_an_option_twice_changes_nothing_the_second_time() -> None:
    s = subscriber()

    assert s.connect_option(option("caller_id"), ME, NOW, {}) is True
    assert s.connect_option(option("caller_id"), ME, NOW, {}) is False
    assert s.options == ["caller_id"]


def test_an_option_excluded_by_a_connected_one_is_refused_naming_it() -> None:
    big = option("internet_20gb", excludes_option_ids=["internet_5gb"])
    s = subscriber(["internet_20gb"])

    with pytest.raises(KabinetError, match="internet_20gb") as refused:
        s.connect_option(option("internet_5gb"), ME, NOW, {"internet_20gb": big})
    assert refused.value.field == "option_id"


def test_the_blacklist_holds_at_most_a_hundred_numbers() -> None:
    s = subscriber()
    service = option("blacklist")
    for n in range(BLACKLIST_LIMIT):
        s.add_to_blacklist(f"7903{n:07d}", service, ME, NOW)

    with pytest.raises(KabinetError) as refused:
        s.add_to_blacklist("79219999999", service, ME, NOW)
    assert refused.value.field == "number"
    assert "blacklist" in s.options  # connected by the first number, once


def test_a_debt_suspension_is_not_lifted_by_the_subscriber() -> None:
    s = subscriber()
    s.suspend("debt", Who("system", None, "system"), NOW)

    with pytest.raises(KabinetError, match="top-up"):
        s.resume(ME, NOW)
    s.resume(Who("system", None, "system"), NOW)
    assert s.status == "active"


def test_a_puk_is_stored_as_a_salted_hash_that_verifies() -> None:
    first, second = hash_puk("12345678"), hash_puk("12345678")

    assert first != second and "12345678" not in first
    assert puk_matches("12345678", first) and not puk_matches("12345679", first)
