"""Where a benchmark runs: servers (embedded unless named by env), namespaces, clean-up."""

from __future__ import annotations

import contextlib
import gc
import os
import secrets
import sys
import tempfile
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import nats
import psycopg
import uvloop
from psycopg import sql

from kabinet.settings import Settings
from suite.servers import EmbeddedNats, EmbeddedPostgres
from suite.testing import Servers, isolated_settings


def run_loop(main: Coroutine[Any, Any, int]) -> int:
    """Run a benchmark on uvloop, the event loop uvicorn gives every service: the load
    generator's own CPU comes out of the same two cores as theirs."""
    return uvloop.run(main)


def settle_heap() -> None:
    """Before a timed phase: collect once, then freeze what is alive, so that the load
    generator's collections scan only what the phase allocates. Left with the objects
    of earlier phases (the throughput rounds), each full collection paused the generator
    for 60–90 ms, and every answer due meanwhile was timed that much slower."""
    gc.collect()
    gc.freeze()


def say(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the report."""
    print(f"· {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def bench_servers() -> Iterator[tuple[Servers, Path]]:
    """Servers named by KABINET_DATABASE_URL / KABINET_NATS_URL, else embedded ones.

    Yields the servers and a short temporary directory (removed on exit) for
    their data and the child processes' logs.
    """
    database_url = os.environ.get("KABINET_DATABASE_URL")
    nats_url = os.environ.get("KABINET_NATS_URL")
    with contextlib.ExitStack() as stack:
        # Short: the embedded PostgreSQL's Unix socket lives in its data directory.
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kb", dir="/tmp")))
        (root / "log").mkdir()
        if not database_url:
            say("starting embedded PostgreSQL")
            postgres = EmbeddedPostgres(root / "pg").start()
            stack.callback(postgres.stop)
            database_url = postgres.url
        if not nats_url:
            say("starting embedded nats-server")
            server = EmbeddedNats(root / "js", log_file=root / "log" / "nats.log").start()
            stack.callback(server.stop)
            nats_url = server.url
        kind = "env" if "KABINET_DATABASE_URL" in os.environ else "embedded"
        if "KABINET_NATS_URL" in os.environ:
            kind += "+env nats"
        yield Servers(database_url, nats_url, kind), root


def new_namespace(tag: str = "") -> str:
    return f"b{tag}{secrets.token_hex(5)}"


def bench_settings(servers: Servers, namespace: str) -> Settings:
    """Isolated ports, token and namespace, with the production defaults for everything else."""
    defaults = Settings()
    return isolated_settings(
        servers,
        namespace=namespace,
        partitions=defaults.partitions,
        relay_idle_poll=defaults.relay_idle_poll,
        consistency_wait=defaults.consistency_wait,
        log_level="WARNING",
    )


async def drop_namespace(settings: Settings) -> None:
    """Remove a namespace's streams and schemas from servers that outlive the run."""
    prefix = settings.namespace.upper() + "_"
    with contextlib.suppress(Exception):
        nc = await nats.connect(
            settings.nats_url or "", connect_timeout=3, max_reconnect_attempts=1
        )
        try:
            js = nc.jetstream()
            for name in await js.streams_info():
                if name.config.name and name.config.name.startswith(prefix):
                    await js.delete_stream(name.config.name)
        finally:
            await nc.close()
    assert settings.database_url
    with (
        contextlib.suppress(psycopg.Error),
        psycopg.connect(settings.database_url, autocommit=True) as conn,
    ):
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
            (settings.namespace + "\\_%",),
        ).fetchall()
        for (schema,) in rows:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
