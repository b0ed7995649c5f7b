"""Services as separate processes (`kabinet serve <name>`), their memory and CPU."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import psutil
from pydantic_settings import BaseSettings

from kabinet.settings import Settings
from suite.stack import serve_command, wait_ready
from suite.testing import env_of


@dataclass
class Children:
    settings: Settings
    log_dir: Path
    own: tuple[BaseSettings, ...] = ()  # services' own settings, e.g. auth's
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stopping: bool = False

    def start(self, *names: str) -> None:
        """Blocking (run it in a thread); `stop` from another thread ends it early."""
        for name in names:
            if self.stopping:
                return
            log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
            self.running[name] = subprocess.Popen(
                serve_command(name),
                env=env_of(self.settings, *self.own),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the bench, which stops them in order
            )
            log.close()
        for name, process in list(self.running.items()):
            url = self.settings.url_of(name)
            if name == "gateway":  # its /readyz asks every service, and we run only some
                wait_healthy(url, process)
            else:
                wait_ready(url, process)

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def peak_rss_mb(self) -> dict[str, float]:
        return {name: peak_rss_mb(p.pid) for name, p in self.running.items()}

    def stop(self) -> None:
        self.stopping = True
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(25)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.clear()


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)  # poll: the process is starting
    raise TimeoutError(f"{url} not healthy after {timeout:.0f}s")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), else its current RSS."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float(psutil.Process(pid).memory_info().rss) / (1024 * 1024)


def _cpu_seconds(process: psutil.Process) -> float:
    with contextlib.suppress(psutil.Error):
        times = process.cpu_times()
        return float(times.user + times.system)
    return 0.0


def _tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its children (PostgreSQL's backends)."""
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        return sum(_cpu_seconds(p) for p in [root, *root.children(recursive=True)])
    return 0.0


def listening_pid(url: str) -> int | None:
    """The process serving a server URL: TCP port listener, or PostgreSQL's postmaster.pid
    beside its Unix socket."""
    info = urlsplit(url)
    socket_dir = parse_qs(info.query).get("host", [""])[0]
    if socket_dir.startswith("/"):
        with contextlib.suppress(OSError, ValueError):
            return int((Path(socket_dir) / "postmaster.pid").read_text().split()[0])
        return None
    port = info.port or (5432 if info.scheme.startswith("postgres") else 4222)
    with contextlib.suppress(psutil.Error):
        for conn in psutil.net_connections("tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                pid: int | None = conn.pid
                return pid
    return None


def _machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


class CpuMeter:
    """CPU spent over a window by our processes, the servers, and everything else."""

    OTHERS = "everything else on the machine"

    def __init__(self, pids: dict[str, int | None], trees: dict[str, int | None]) -> None:
        """`pids` count alone; `trees` with their children (PostgreSQL's backends)."""
        self.pids = {name: pid for name, pid in pids.items() if pid}
        self.trees = {name: pid for name, pid in trees.items() if pid}
        self._start: dict[str, float] = {}
        self._started = 0.0

    def _sample(self) -> dict[str, float]:
        sample = {name: _cpu_seconds(psutil.Process(pid)) for name, pid in self.pids.items()}
        sample.update({name: _tree_cpu_seconds(pid) for name, pid in self.trees.items()})
        sample[self.OTHERS] = _machine_busy_seconds() - sum(sample.values())
        return sample

    def start(self) -> None:
        self._start = self._sample()
        self._started = time.perf_counter()

    def stop(self) -> dict[str, float]:
        """Share of one core each one used since `start` (1.0 = one core busy)."""
        elapsed = time.perf_counter() - self._started
        end = self._sample()
        return {name: (end[name] - self._start.get(name, 0.0)) / elapsed for name in end}
