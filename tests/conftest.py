from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from kabinet.logging import configure_logging
from kabinet.settings import Settings
from kabinet.testing import Servers, Stack, in_process, isolated_settings, servers_for_tests

configure_logging("WARNING", json=True)


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with servers_for_tests() as found:
        yield found


@pytest.fixture
def settings(servers: Servers) -> Settings:
    return isolated_settings(servers)


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with in_process(settings, "account", "payments", "gateway") as running:
        yield running
