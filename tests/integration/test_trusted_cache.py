"""A service run as one replica trusts its aggregate cache instead of reading newer events."""

from __future__ import annotations

import pytest

from kabinet.eventstore import persistence_env
from kabinet.settings import Settings
from services.payments.application import PaymentsApplication
from services.payments.domain import Balance
from tests.integration.helpers import numbers, open_balances

pytestmark = pytest.mark.integration


def test_only_a_lone_serving_replica_skips_reading_newer_events(settings: Settings) -> None:
    def fast_forwards(env: dict[str, str]) -> bool:
        return PaymentsApplication(env=env).repository.fastforward

    two = settings.model_copy(update={"replicas": 2})
    assert not fast_forwards(persistence_env(settings, "payments", serving=True))
    assert fast_forwards(persistence_env(two, "payments", serving=True))
    assert fast_forwards(persistence_env(settings, "payments"))


def test_a_save_the_cache_made_take_reaches_the_next_load_without_a_read(
    settings: Settings,
) -> None:
    service = PaymentsApplication(env=persistence_env(settings, "payments", serving=True))
    stored = PaymentsApplication(env=persistence_env(settings, "payments"))
    (msisdn,) = numbers(1)
    open_balances(service, [msisdn])
    service.top_up(msisdn, 100_00, "first")
    service.top_up(msisdn, 50_00, "second")

    cached: Balance = service.repository.cache.get(Balance.id_for(msisdn))  # type: ignore[union-attr,assignment]
    fresh = stored.balance(msisdn)
    assert (cached.version, cached.kopecks) == (fresh.version, 150_00)


def test_a_write_behind_the_services_back_costs_one_retry_not_money(settings: Settings) -> None:
    service = PaymentsApplication(env=persistence_env(settings, "payments", serving=True))
    other = PaymentsApplication(env=persistence_env(settings, "payments"))
    (msisdn,) = numbers(1)
    open_balances(service, [msisdn])
    service.top_up(msisdn, 100_00, "first")
    other.top_up(msisdn, 50_00, "elsewhere")  # the service's cached balance is now stale

    answer = service.top_up(msisdn, 25_00, "after")

    assert answer["balance"] == "175.00"
    stored = PaymentsApplication(env=persistence_env(settings, "payments")).balance(msisdn)
    assert stored.kopecks == 175_00
    assert service.balance(msisdn).version == stored.version
