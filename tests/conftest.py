from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import nats
import pytest

from contracts.envelope import Envelope
from contracts.subjects import PRODUCERS, partition_of, upstream_name
from kabinet.clock import ManualClock
from kabinet.effects import ProjectionEffects, ProjectionStore
from kabinet.eventstore import persistence_env, schema_name
from kabinet.logging import configure_logging
from kabinet.runtime import create_service_app
from kabinet.settings import Settings
from kabinet.streams import ensure_stream, producer_stream_config
from suite.seed import CATALOG
from suite.testing import (
    Servers,
    Stack,
    in_process,
    isolated_settings,
    remove_namespace,
    servers_for_tests,
)
from tests.integration.helpers import running_apps, signing_stack

configure_logging("WARNING", json=True)

CATALOG_SINCE = datetime(2026, 1, 1, tzinfo=UTC)
"""The demo catalog of a test stack is valid from then on."""


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with servers_for_tests() as found:
        yield found


def prefill_catalog(settings: Settings) -> None:
    """The demo catalog in the catalog's store, and account's copy of it already built,
    as in any running deployment: a test can activate numbers from its first line.

    Account's copy is tracked like the consumer would track it, so when the catalog's
    relay publishes these events later, account drops them as already applied.
    """
    from services.account.application import AccountApplication
    from services.account.catalog import CatalogProjection
    from services.account.projections import LastTopUp
    from services.catalog import api as catalog_api
    from services.catalog import publishing
    from services.catalog.application import CatalogApplication

    app = CatalogApplication(
        env=persistence_env(settings, "catalog"), clock=ManualClock(CATALOG_SINCE)
    )
    demo = json.loads(CATALOG.read_text())
    for spec in demo["tariffs"]:
        tariff = catalog_api.TariffSpec.model_validate(spec)
        details = tariff.model_dump(mode="json", exclude={"prices", "valid_from"})
        app.publish_tariff(details, catalog_api.price_table(tariff.prices), None)
    for spec in demo["options"]:
        option = catalog_api.OptionSpec.model_validate(spec)
        details = option.model_dump(mode="json", exclude={"prices", "valid_from"})
        app.publish_option(details, catalog_api.price_table(option.prices), None)
    for retired in demo["retired"]:
        app.retire_tariff(retired["tariff_id"], None, retired["replacement_tariff_id"])
    by_upstream: dict[str, list[Envelope]] = defaultdict(list)
    for notification in app.recorder.select_notifications(1, 10_000):
        event = publishing.to_public(app.mapper.to_domain_event(notification), notification.id)
        assert event is not None
        partition = partition_of(event.partition_key, settings.partitions)
        by_upstream[upstream_name("catalog", partition)].append(event)
    app.close()
    account_app = AccountApplication(env=persistence_env(settings, "account"))
    account = ProjectionStore(
        account_app.factory.datastore,  # type: ignore[attr-defined]
        schema_name("account", settings.namespace),
    )
    LastTopUp(account).setup()
    projection = CatalogProjection(account)
    projection.setup()
    effects = ProjectionEffects(account, projection.name, projection.handlers)
    for upstream, events in by_upstream.items():
        effects.apply(upstream, events)
    account_app.close()


async def create_streams(settings: Settings) -> None:
    """Every producer's stream, as in a running deployment (not only once a service
    that relays or consumes it has started)."""
    connection = await nats.connect(settings.nats_servers)
    try:
        js = connection.jetstream()
        for producer in PRODUCERS:
            await ensure_stream(js, producer_stream_config(producer, settings))
    finally:
        await connection.close()


QUIET_LIMITS = {
    "KABINET_AUTH_OTP_NUMBER_PER_MINUTE": "1000",
    "KABINET_AUTH_OTP_NUMBER_PER_HOUR": "1000",
    "KABINET_AUTH_OTP_IP_PER_HOUR": "1000000",
    "KABINET_AUTH_LOGIN_IP_PER_HOUR": "1000000",
}
"""Sign-in limits the suite never reaches: every test signs in from 127.0.0.1. Auth's own
settings (`AuthSettings`) read them, unless a test gives a limit it checks."""


@pytest.fixture
async def settings(servers: Servers, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Settings]:
    for name, value in QUIET_LIMITS.items():
        monkeypatch.setenv(name, value)
    isolated = isolated_settings(servers)
    prefill_catalog(isolated)
    await create_streams(isolated)
    yield isolated
    await remove_namespace(isolated)


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with in_process(settings, "catalog", "account", "auth", "payments", "gateway") as running:
        yield running


@pytest.fixture
def clock() -> ManualClock:
    """The stack's time: 1 March 2026, 09:00 UTC, until a test moves it."""
    return ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
async def clocked_stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    """catalog, account, auth, payments and the gateway, with catalog and account on
    `clock` (sign-in keeps real time: moving the clock by days must not end sessions)."""
    from gateway.app import create_gateway
    from services.account.main import build as build_account
    from services.auth.main import build as build_auth
    from services.catalog.main import build as build_catalog
    from services.payments.main import build as build_payments

    apps = {
        "catalog": create_service_app(build_catalog(settings, clock), settings),
        "account": create_service_app(build_account(settings, clock), settings),
        "auth": create_service_app(build_auth(settings), settings),
        "payments": create_service_app(build_payments(settings), settings),
        "gateway": create_gateway(settings),
    }
    async with running_apps(settings, apps) as running:
        yield running


@pytest.fixture
async def auth_stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    """account, auth, payments and the gateway, with auth and the gateway on `clock`."""
    async with signing_stack(settings, clock) as running:
        yield running
