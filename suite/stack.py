"""`kabinet up`: servers, every service and the gateway as child processes, demo data."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kabinet.settings import Settings
from services.payments.acquirer.settings import AcquirerSettings
from suite.registry import PROCESSES
from suite.servers import EmbeddedNats, EmbeddedPostgres


def serve_command(name: str) -> list[str]:
    return [sys.executable, "-m", "suite.cli", "serve", name]


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # poll: the process is starting
    raise TimeoutError(f"{url} not ready after {timeout:.0f}s")


class Stack:
    """Everything `make up` runs, started in order and stopped in reverse."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.var = settings.var_dir.resolve()
        self.nats: EmbeddedNats | None = None
        self.postgres: EmbeddedPostgres | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> dict[str, str]:
        self.var.mkdir(parents=True, exist_ok=True)
        (self.var / "log").mkdir(exist_ok=True)
        env = dict(os.environ)
        if not self.settings.nats_url:
            self.nats = EmbeddedNats(
                self.var / "nats", self.settings.nats_port, self.var / "log" / "nats.log"
            ).start()
            env["KABINET_NATS_URL"] = self.nats.url
        if not self.settings.database_url:
            self.postgres = EmbeddedPostgres(Path(self.var / "pg")).start()
            env["KABINET_DATABASE_URL"] = self.postgres.url
        if not self.settings.ops_token:
            env["KABINET_OPS_TOKEN"] = secrets.token_urlsafe(24)
        self.start_acquirer(env)
        for name in PROCESSES:
            self.children[name] = subprocess.Popen(
                serve_command(name), env=env, start_new_session=True
            )
        for name in PROCESSES:
            wait_ready(self.settings.url_of(name), self.children[name])
        return env

    def start_acquirer(self, env: dict[str, str]) -> None:
        """The card acquirer simulator (services/payments/acquirer), with this run's secret."""
        env.setdefault("KABINET_ACQUIRER_SECRET", secrets.token_urlsafe(24))
        env.setdefault(
            "KABINET_ACQUIRER_CALLBACK_URL",
            f"{self.settings.url_of('payments')}/acquirer/callbacks",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "services.payments.acquirer"], env=env, start_new_session=True
        )
        self.children["acquirer"] = process
        wait_ready(AcquirerSettings().base_url, process)

    def stop(self) -> None:
        for process in self.children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.children.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.nats:
            self.nats.stop()
        if self.postgres:
            self.postgres.stop()
