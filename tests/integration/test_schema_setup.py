"""Replicas of one service start together and each creates the same tables at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from kabinet.domain import KabinetAggregate
from kabinet.effects import ProjectionStore
from kabinet.eventstore import KabinetApplication, persistence_env, schema_name
from kabinet.settings import Settings

pytestmark = pytest.mark.integration

STARTERS = 6
READ_MODEL = "CREATE TABLE IF NOT EXISTS {schema}.seen (id text PRIMARY KEY)"


class Counter(KabinetAggregate):
    def __init__(self, name: str) -> None:
        self.name = name


def test_replicas_creating_one_schema_at_once_all_start_and_share_it(settings: Settings) -> None:
    barrier = threading.Barrier(STARTERS)

    def start(i: int) -> KabinetApplication:
        barrier.wait()
        app = KabinetApplication(env=persistence_env(settings, "together"))
        store = ProjectionStore(app.factory.datastore, schema_name("together", settings.namespace))  # type: ignore[attr-defined]
        store.setup(READ_MODEL)
        return app

    with ThreadPoolExecutor(STARTERS) as pool:
        apps = list(pool.map(start, range(STARTERS)))

    counter = Counter(name="shared")
    apps[0].save(counter)
    assert all(app.repository.get(counter.id).name == "shared" for app in apps)
