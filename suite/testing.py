"""Test support: real servers for the suite, and services run in-process on real ports.

Servers, in order: those named by `KABINET_TEST_DATABASE_URL` / `KABINET_TEST_NATS_URL`,
else testcontainers when a Docker engine answers, else the embedded wheels.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic_settings import BaseSettings

from kabinet.settings import Settings
from suite.registry import PROCESSES, build_app
from suite.servers import EmbeddedNats, EmbeddedPostgres, free_port
from suite.stack import serve_command


@dataclass
class Servers:
    database_url: str
    nats_url: str
    kind: str


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def servers_for_tests() -> Iterator[Servers]:
    database_url = os.environ.get("KABINET_TEST_DATABASE_URL")
    nats_url = os.environ.get("KABINET_TEST_NATS_URL")
    with contextlib.ExitStack() as stack:
        if (not database_url or not nats_url) and _docker_answers():
            from testcontainers.nats import NatsContainer
            from testcontainers.postgres import PostgresContainer

            if not database_url:
                pg = stack.enter_context(PostgresContainer("postgres:16", driver=None))
                database_url = pg.get_connection_url()
            if not nats_url:
                nc = stack.enter_context(NatsContainer("nats:2.11", jetstream=True))
                nats_url = nc.nats_uri()
            kind = "testcontainers"
        else:
            kind = "env" if database_url and nats_url else "embedded"
        if not database_url:
            # A short path: the PostgreSQL socket lives in the data directory.
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kpg", dir="/tmp")))
            pg_embedded = EmbeddedPostgres(root / "pg").start()
            stack.callback(pg_embedded.stop)
            database_url = pg_embedded.url
        if not nats_url:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="knats")))
            nats = EmbeddedNats(root / "js").start()
            stack.callback(nats.stop)
            nats_url = nats.url
        yield Servers(database_url, nats_url, kind)


def isolated_settings(servers: Servers, **overrides: Any) -> Settings:
    """Settings of one isolated stack: its own namespace (streams, schemas) and ports."""
    values: dict[str, Any] = {
        "database_url": servers.database_url,
        "nats_url": servers.nats_url,
        "namespace": "t" + secrets.token_hex(4),
        "partitions": 4,
        "ops_token": "ops-" + secrets.token_hex(8),
        "relay_idle_poll": 0.02,
        "consistency_wait": 10.0,
        "log_json": True,
        "ports": {name: free_port() for name in PROCESSES},
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class InProcess:
    """One service or the gateway served by uvicorn inside the test's event loop."""

    name: str
    app: FastAPI
    port: int
    server: uvicorn.Server | None = None
    task: asyncio.Task[None] | None = None

    async def start(self) -> InProcess:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            lifespan="on",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)  # poll: uvicorn reports start-up by a flag
        return self

    async def stop(self) -> None:
        if self.server and self.task:
            self.server.should_exit = True
            await self.task


@dataclass
class Stack:
    settings: Settings
    running: dict[str, InProcess] = field(default_factory=dict)

    def client(self, name: str = "gateway") -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.settings.url_of(name), timeout=30.0)

    @property
    def ops_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.ops_token}"}

    def app_of(self, name: str) -> Any:
        return self.running[name].app.state.runtime.parts.app


@contextlib.asynccontextmanager
async def in_process(settings: Settings, *names: str) -> AsyncIterator[Stack]:
    stack = Stack(settings)
    try:
        for name in names:
            stack.running[name] = await InProcess(
                name, build_app(name, settings), settings.port_of(name)
            ).start()
        yield stack
    finally:
        for process in reversed(list(stack.running.values())):
            await process.stop()


def env_of(settings: Settings, *own: BaseSettings, **extra: str) -> dict[str, str]:
    """The environment that gives a child process exactly these settings: the kit's
    (with every process's port and URL), then each service's `own` settings object
    under its prefix (e.g. `AuthSettings` as `KABINET_AUTH_*`), then `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KABINET_")}
    for name, port in settings.ports.items():
        env[f"KABINET_{name.upper()}_PORT"] = str(port)
    for name, url in settings.urls.items():
        env[f"KABINET_{name.upper()}_URL"] = url
    for each in (settings, *own):
        prefix = each.model_config.get("env_prefix", "")
        for name, value in each.model_dump(exclude={"ports", "urls"}).items():
            if value is not None:
                env[f"{prefix}{name}".upper()] = (
                    str(value).lower() if isinstance(value, bool) else str(value)
                )
    env.update(extra)
    return env


def spawn(name: str, settings: Settings, *args: str, **extra_env: str) -> subprocess.Popen[bytes]:
    """`kabinet serve <name>` as a child process with these settings."""
    return subprocess.Popen([*serve_command(name), *args], env=env_of(settings, **extra_env))


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    """Poll a condition that has no event to wait on (another process's progress)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)  # poll: progress of another process


async def remove_namespace(settings: Settings) -> None:
    """Delete a test namespace's streams and schemas, so shared servers do not fill up."""
    import nats
    import psycopg
    from psycopg import sql

    nc = await nats.connect(settings.nats_servers)
    try:
        js = nc.jetstream()
        prefix = f"{settings.namespace.upper()}_"
        for name in await js.streams_info():
            if name.config.name and name.config.name.startswith(prefix):
                await js.delete_stream(name.config.name)
    finally:
        await nc.close()
    assert settings.database_url
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (f"{settings.namespace}\\_%",)
        ).fetchall()
        for (schema,) in rows:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
