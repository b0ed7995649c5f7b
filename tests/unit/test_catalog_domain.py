"""The catalog's domain: regional prices as histories, availability, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kabinet.clock import ManualClock
from services.catalog.application import CatalogApplication
from services.catalog.domain import CatalogError, Tariff
from services.catalog.publishing import to_public

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PRICES = {
    "recurring_fee": 550_00,
    "change_fee": 0,
    "minute": 200,
    "sms": 150,
    "mms": 650,
    "data_mb": 100,
}
DETAILS = {
    "tariff_id": "smart",
    "name": "Смарт",
    "description": "",
    "fee_period": "month",
    "included": {"minutes": 500, "sms": 500, "mms": 0, "data_mb": 15360},
    "roaming": True,
    "international_zone": "cis",
    "corporate_only": False,
    "available_until": None,
}


def smart() -> Tariff:
    return Tariff.publish(
        DETAILS, {"moscow": PRICES, "spb": {**PRICES, "recurring_fee": 500_00}}, NOW
    )


def test_a_region_priced_unlike_the_first_gets_its_own_price_from_the_start() -> None:
    tariff = smart()

    assert tariff.price_at("recurring_fee", "moscow", NOW) == 550_00
    assert tariff.price_at("recurring_fee", "spb", NOW) == 500_00
    assert tariff.price_at("recurring_fee", "spb", NOW - timedelta(seconds=1)) is None
    events = [to_public(e, i + 1) for i, e in enumerate(tariff.collect_events())]
    assert [e.type for e in events if e] == ["TariffPublished", "PriceChanged"]


def test_a_price_from_tomorrow_leaves_todays_in_force_until_then() -> None:
    tariff = smart()
    tomorrow = NOW + timedelta(days=1)

    tariff.change_price("recurring_fee", "moscow", 600_00, tomorrow, NOW)

    assert tariff.price_at("recurring_fee", "moscow", NOW + timedelta(hours=23)) == 550_00
    assert tariff.price_at("recurring_fee", "moscow", tomorrow) == 600_00
    assert tariff.next_change_after(NOW) == tomorrow
    moscow = [
        p
        for p in tariff.price_points()
        if p["region"] == "moscow" and p["component"] == "recurring_fee"
    ]
    assert [p["kopecks"] for p in moscow] == [550_00, 600_00]


@pytest.mark.parametrize(
    ("component", "region", "kopecks", "valid_from", "field"),
    [
        ("tea", "moscow", 1, NOW, "component"),
        ("minute", "kazan", 1, NOW, "region"),
        ("minute", "moscow", 1, NOW - timedelta(days=1), "valid_from"),
        ("minute", "moscow", 200, NOW, "amount"),
    ],
)
def test_a_bad_price_change_names_its_field(
    component: str, region: str, kopecks: int, valid_from: datetime, field: str
) -> None:
    with pytest.raises(CatalogError) as refused:
        smart().change_price(component, region, kopecks, valid_from, NOW)
    assert refused.value.field == field


def test_a_retired_tariff_is_no_longer_offered_but_keeps_its_prices() -> None:
    app = CatalogApplication(clock=ManualClock(NOW))
    app.save(smart())

    app.retire_tariff("smart", None, None)

    retired = app.tariff("smart")
    assert not retired.offered("moscow", NOW)
    assert retired.offered("moscow", NOW - timedelta(seconds=1)) is False  # not yet valid then
    assert retired.price_at("minute", "moscow", NOW) == 200


def test_prices_missing_for_a_region_are_refused_naming_the_region() -> None:
    with pytest.raises(CatalogError) as refused:
        Tariff.publish(DETAILS, {"moscow": {"minute": 1}}, NOW)
    assert refused.value.field == "prices.moscow"
