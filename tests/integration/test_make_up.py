"""`kabinet up` (what `make up` runs) from the wheels alone, twice on the same data."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from suite.registry import PROCESSES
from suite.seed import DEMO_PASSWORD
from suite.servers import free_port

pytestmark = pytest.mark.integration

DEMO = "79001234567"


@pytest.fixture
def var_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="kup", dir="/tmp"))  # short: holds a Unix socket
    yield path
    shutil.rmtree(path, ignore_errors=True)


class Up:
    """One `kabinet up` run, its stdout read line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "suite.cli", "up"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_until_up(self) -> str:
        """Returns the staff token the run printed."""
        token = ""
        while True:
            line = self.lines.get(timeout=180)
            if "KABINET_OPS_TOKEN" in line:
                token = line.split(":", 1)[1].strip()
            if "Ctrl-C stops everything" in line:
                return token

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(90)


def up_env(var_dir: Path, ports: dict[str, int]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KABINET_")}
    env["KABINET_VAR_DIR"] = str(var_dir)
    env["KABINET_NATS_PORT"] = str(free_port())
    env.update({f"KABINET_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    return env


def listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        return True
    except httpx.HTTPError:
        return False


def signed_in(gateway: str) -> dict[str, str]:
    """The demo subscriber signs in with the demo password the seed set."""
    login = httpx.post(
        f"{gateway}/api/v1/auth/login",
        json={"msisdn": DEMO, "password": DEMO_PASSWORD},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def test_up_starts_everything_from_the_wheels_and_a_second_run_keeps_the_data(
    var_dir: Path,
) -> None:
    ports = {name: free_port() for name in PROCESSES}
    gateway = f"http://127.0.0.1:{ports['gateway']}"

    first = Up(up_env(var_dir, ports))
    try:
        assert first.wait_until_up()
        for port in ports.values():
            assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        paid = httpx.post(
            f"{gateway}/api/v1/me/topups",
            json={"amount": "10.00"},
            headers={**signed_in(gateway), "Idempotency-Key": "after-first-up"},
            timeout=10,
        )
        assert paid.status_code == 201, paid.text
        assert paid.json()["balance"] == "360.00"  # the seeded 350.00 and this
    finally:
        assert first.interrupt() == 0
    assert not any(listening(port) for port in ports.values())
    assert (var_dir / "pg").is_dir() and (var_dir / "nats").is_dir()

    second = Up(up_env(var_dir, ports))
    try:
        assert second.wait_until_up()
        dashboard = httpx.get(
            f"{gateway}/api/v1/me/dashboard", headers=signed_in(gateway), timeout=10
        )
        assert dashboard.status_code == 200, dashboard.text
        assert dashboard.json()["balance"] == "360.00"  # kept, and the seed moved no money again
    finally:
        assert second.interrupt() == 0
    assert not any(listening(port) for port in ports.values())
