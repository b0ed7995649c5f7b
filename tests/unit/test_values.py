"""Money, numbers, ids and consistency tokens: the value types every service relies on."""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, uuid5

import pytest

from kabinet import consistency
from kabinet.domain import KabinetError, stable_id
from kabinet.money import MoneyError, format_rub, parse_rub
from kabinet.msisdn import MsisdnError, normalize_msisdn


@pytest.mark.parametrize(
    ("given", "kopecks"),
    [
        ("100", 100_00),
        ("100.5", 100_50),
        ("100.05", 100_05),
        (100, 100_00),
        (99.99, 99_99),
        (Decimal("0.01"), 1),
        ("-5.00", -5_00),
        (" 7.10 ", 7_10),
    ],
)
def test_amounts_in_roubles_become_exact_kopecks(given: object, kopecks: int) -> None:
    assert parse_rub(given) == kopecks  # type: ignore[arg-type]


@pytest.mark.parametrize("given", ["", "abc", "1.001", "1e3", "1,50", True, "10000000000", 1e20])
def test_anything_but_roubles_with_two_places_is_refused(given: object) -> None:
    with pytest.raises(MoneyError):
        parse_rub(given)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kopecks", "text"), [(0, "0.00"), (5, "0.05"), (100_00, "100.00"), (-1_50, "-1.50")]
)
def test_kopecks_are_shown_as_roubles_with_two_places(kopecks: int, text: str) -> None:
    assert format_rub(kopecks) == text


@pytest.mark.parametrize(
    "given", ["+7 (900) 123-45-67", "89001234567", "79001234567", "9001234567", "+7 900 123 45 67"]
)
def test_every_common_way_of_writing_a_number_gives_eleven_digits(given: str) -> None:
    assert normalize_msisdn(given) == "79001234567"


@pytest.mark.parametrize("given", ["", "12345", "+1 900 123 45 67", "74951234567", "7900123456a"])
def test_what_is_not_a_russian_mobile_number_is_refused(given: str) -> None:
    with pytest.raises(MsisdnError):
        normalize_msisdn(given)


def test_a_consistency_token_keeps_the_highest_position_per_producer() -> None:
    merged = consistency.merge("payments:5,account:2", "payments:3", None)
    assert consistency.decode(merged) == {"account": 2, "payments": 5}
    assert consistency.encode({"payments": 5, "account": 2}) == "account:2,payments:5"


@pytest.mark.parametrize("token", ["payments", "payments:-1", "Payments:1", "a:1;b:2"])
def test_a_malformed_consistency_token_is_refused_naming_the_field(token: str) -> None:
    with pytest.raises(KabinetError) as raised:
        consistency.decode(token)
    assert raised.value.field == "consistency_token"


def test_a_stable_id_is_the_version_5_uuid_of_its_name_so_stored_ids_never_change() -> None:
    for parts in [("balance", "79001234567"), ("idempotency", "topup:79001234567", "k-1")]:
        expected = uuid5(NAMESPACE_URL, "kabinet:" + ":".join(parts))
        assert stable_id(*parts) == expected
        assert stable_id(*parts) == expected  # again, from the cache
    assert stable_id("balance", "79001234567") != stable_id("balance", "79001234568")
