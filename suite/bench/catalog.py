"""`kabinet bench catalog`: the tariff list's throughput and p99 next to a bare FastAPI
endpoint that answers the same bytes, measured in the same run by the same client.

The catalog service and the bare endpoint each run as their own one-worker uvicorn
process; the load comes from this process over raw keep-alive HTTP/1.1 connections
(lighter than an HTTP client library, so the client is not what is measured).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI, Response

from suite.bench.env import bench_servers, bench_settings, drop_namespace, new_namespace, say
from suite.bench.procs import Children, wait_healthy
from suite.bench.report import Floor, Report, ms, percentile, rate, ratio, times
from suite.seed import seed_catalog
from suite.servers import free_port

BODY_FILE = "KABINET_BENCH_BODY_FILE"
TARIFFS = "/tariffs?region=moscow"


def bare_app() -> FastAPI:
    """The baseline: FastAPI answering fixed bytes, no state, no work."""
    body = Path(os.environ[BODY_FILE]).read_bytes()
    app = FastAPI()

    @app.get("/tariffs")
    async def tariffs() -> Response:
        return Response(body, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@dataclass
class Run:
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds


async def _connection(host: str, port: int, path: str, until: float, out: list[float]) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    done = 0
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"{path}: {head.splitlines()[0].decode()}")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            out.append(time.perf_counter() - started)
            done += 1
    finally:
        writer.close()
    return done


async def load(url: str, path: str, connections: int, seconds: float) -> Run:
    """`connections` keep-alive connections, each sending its next request on an answer."""
    info = httpx.URL(url)
    host, port = info.host, info.port or 80
    await asyncio.gather(
        *(_connection(host, port, path, time.perf_counter() + 1.0, []) for _ in range(4))
    )  # warm-up: caches, connection setup
    latencies: list[float] = []
    started = time.perf_counter()
    until = started + seconds
    counts = await asyncio.gather(
        *(_connection(host, port, path, until, latencies) for _ in range(connections))
    )
    return Run(sum(counts), time.perf_counter() - started, latencies)


def _start_bare(body: bytes, log_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    body_file = log_dir / "tariffs.json"
    body_file.write_bytes(body)
    port = free_port()
    log = open(log_dir / "bare.log", "ab")  # noqa: SIM115 (the child keeps it)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "suite.bench.catalog:bare_app",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env={**os.environ, BODY_FILE: str(body_file)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process)
    return process, url


async def run(seconds: float, connections: int, strict: bool) -> int:
    report = Report("kabinet bench catalog")
    with bench_servers() as (servers, root):
        settings = bench_settings(servers, new_namespace("c"))
        children = Children(settings, root / "log")
        bare: subprocess.Popen[bytes] | None = None
        try:
            say("starting catalog and gateway")
            await asyncio.to_thread(children.start, "catalog", "gateway")
            assert settings.ops_token
            with httpx.Client(base_url=settings.url_of("gateway"), timeout=30.0) as client:
                token = seed_catalog(client, settings.ops_token)
            catalog_url = settings.url_of("catalog")
            async with httpx.AsyncClient(base_url=catalog_url) as client:
                first = await client.get(
                    TARIFFS, headers={"Kabinet-Consistency-Token": token or ""}
                )
            bare, bare_url = _start_bare(first.content, root / "log")
            say(f"bare FastAPI endpoint, {connections} connections, {seconds:g}s")
            baseline = await load(bare_url, "/tariffs", connections, seconds)
            say("catalog service: GET /tariffs?region=moscow")
            service = await load(catalog_url, TARIFFS, connections, seconds)
            say("through the gateway: GET /api/v1/catalog/tariffs?region=moscow")
            gateway = await load(
                settings.url_of("gateway"), "/api/v1/catalog" + TARIFFS, connections, seconds
            )
        finally:
            if bare is not None:
                bare.terminate()
                bare.wait(10)
            await asyncio.to_thread(children.stop)
            await drop_namespace(settings)
    rows = report.section(f"tariff list, {len(first.content):,} bytes, {connections} connections")
    for label, result in (
        ("bare FastAPI endpoint (same bytes)", baseline),
        ("catalog service", service),
        ("catalog through the gateway", gateway),
    ):
        rows.append((f"{label}: throughput", rate(result.throughput), "req/s"))
        rows.append((f"{label}: p50", ms(percentile(result.latencies, 50)), "ms"))
        rows.append((f"{label}: p99", ms(percentile(result.latencies, 99)), "ms"))
    share = ratio(service.throughput, baseline.throughput)
    rows.append(("catalog service / bare endpoint", times(share), ""))
    rows.append(
        ("gateway / bare endpoint", times(ratio(gateway.throughput, baseline.throughput)), "")
    )
    report.floors.append(
        Floor("catalog service throughput / bare endpoint", share, 0.5, below=False, unit="×")
    )
    print(report.render(), flush=True)
    return 1 if strict and not report.passed else 0
