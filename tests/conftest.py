from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from kabinet.logging import configure_logging
from kabinet.settings import Settings
from kabinet.testing import (
    Servers,
    Stack,
    in_process,
    isolated_settings,
    remove_namespace,
    servers_for_tests,
)

configure_logging("WARNING", json=True)


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with servers_for_tests() as found:
        yield found


@pytest.fixture
async def settings(servers: Servers) -> AsyncIterator[Settings]:
    isolated = isolated_settings(servers)
    yield isolated
    await remove_namespace(isolated)


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with in_process(settings, "account", "payments", "gateway") as running:
        yield running
