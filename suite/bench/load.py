"""End-to-end latency at a fixed offered load: services as processes, open-loop top-ups.

Latency of one top-up runs from its scheduled send time (open loop: the schedule never
waits for earlier requests, so a slow system cannot slow the offered load down) until a
dashboard read with the top-up's consistency token shows that top-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from prometheus_client.parser import text_string_to_metric_families

from kabinet import consistency
from kabinet.client import Reply, pooled_session, request
from kabinet.money import format_rub, parse_rub
from kabinet.settings import Settings
from services.auth.settings import AuthSettings
from suite import seed
from suite.bench.env import say, settle_heap
from suite.bench.procs import Children, CpuMeter, listening_pid

# Account checks an activation against its copy of the catalog, so the catalog runs too;
# subscribers sign in through auth.
PROCESSES = ("catalog", "account", "auth", "payments", "gateway")
BASE_KOPECKS = 100_00
GIVE_UP_AFTER = 30.0  # seconds: a top-up not shown by then counts as an error
STALE_HEADER = "Kabinet-Stale"
CONNECTIONS = 256
OPERATIONAL = ("/healthz", "/readyz", "/metrics")


@dataclass
class LoadResult:
    offered: int = 0
    rate: float = 0.0
    sent_rate: float = 0.0
    completed_rate: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_latencies: list[float] = field(default_factory=list)  # a number's first top-up
    topup_latencies: list[float] = field(default_factory=list)
    send_lag: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    unshown_reads: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    # (process, "METHOD route") → (requests, mean seconds inside that process)
    server_time: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)


def now() -> float:
    """The load's clock: read afresh each time (uvloop's `loop.time()` is the time its
    current iteration began, in whole milliseconds, and would flatter every latency)."""
    return time.perf_counter()


def amount_of(round_: int) -> str:
    """'100.00' for a number's first top-up, '100.01' for its second, …: a dashboard read can
    tell which top-up it shows."""
    return format_rub(BASE_KOPECKS + round_)


@dataclass(frozen=True)
class Gateway:
    session: aiohttp.ClientSession
    url: str

    async def call(
        self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        return await request(self.session, method, self.url + path, json=json, headers=headers)


def shows(view: Reply, round_: int) -> bool:
    """The dashboard shows this top-up (or a later one of the same number), not stale."""
    if STALE_HEADER in view.headers:
        return False
    body: dict[str, Any] = view.json()
    last = body.get("last_topup")
    if body.get("missing") or not last:
        return False
    return parse_rub(last["amount"]) - BASE_KOPECKS >= round_


def seed_catalog(gateway_url: str, ops_token: str) -> str | None:
    """The demo catalog (tariffs the activations name); its consistency token."""
    with httpx.Client(base_url=gateway_url, timeout=GIVE_UP_AFTER) as client:
        return seed.seed_catalog(client, ops_token)


async def activate_all(
    client: Gateway,
    ops_token: str,
    count: int,
    first: int = 0,
    catalog_token: str | None = None,
    concurrency: int = 16,
) -> list[tuple[str, str]]:
    """Activate `count` numbers through the gateway; (msisdn, consistency token) each."""
    gate = asyncio.Semaphore(concurrency)
    auth = {"Authorization": f"Bearer {ops_token}"}
    if catalog_token:
        auth[consistency.HEADER] = catalog_token

    async def one(msisdn: str) -> tuple[str, str]:
        async with gate:
            response = await client.call(
                "POST",
                "/ops/v1/subscribers",
                json={
                    "msisdn": msisdn,
                    "owner_name": "Bench Subscriber",
                    "region": "moscow",
                    "tariff_id": "smart",
                },
                headers=auth,
            )
        if response.status_code != 201:
            raise RuntimeError(f"activating {msisdn}: {response.status_code} {response.text}")
        return msisdn, response.headers[consistency.HEADER]

    return list(await asyncio.gather(*(one(f"7990{n:07d}") for n in range(first, first + count))))


async def sign_in_all(
    client: Gateway, subscribers: list[tuple[str, str]], concurrency: int = 16
) -> list[tuple[str, str, dict[str, str]]]:
    """Each subscriber signs in with an SMS code read from the dev outbox (after its
    activation, named by the token); (msisdn, activation token, Authorization) each."""
    gate = asyncio.Semaphore(concurrency)

    async def one(msisdn: str, activated: str) -> tuple[str, str, dict[str, str]]:
        async with gate:
            asked = await client.call(
                "POST",
                "/api/v1/auth/otp",
                json={"msisdn": msisdn, "purpose": "login"},
                headers={consistency.HEADER: activated},
            )
            outbox = await client.call("GET", f"/dev/sms?msisdn={msisdn}")
            verified = await client.call(
                "POST",
                "/api/v1/auth/otp/verify",
                json={
                    "msisdn": msisdn,
                    "request_id": asked.json()["request_id"],
                    "code": seed.newest_code(outbox.json()["messages"]),
                },
            )
        if verified.status_code != 200:
            raise RuntimeError(f"signing {msisdn} in: {verified.status_code} {verified.text}")
        return msisdn, activated, {"Authorization": f"Bearer {verified.json()['access_token']}"}

    return list(await asyncio.gather(*(one(m, t) for m, t in subscribers)))


@contextlib.asynccontextmanager
async def gateway_client(url: str) -> AsyncIterator[Gateway]:
    """The load generator's client: one pooled session, requests addressed by path."""
    async with pooled_session(CONNECTIONS, GIVE_UP_AFTER) as session:
        yield Gateway(session, url.rstrip("/"))


class OpenLoop:
    def __init__(
        self,
        client: Gateway,
        subscribers: list[tuple[str, str, dict[str, str]]],
        rate: float,
        seconds: float,
    ) -> None:
        self.client = client
        self.subscribers = subscribers
        self.result = LoadResult(offered=max(1, round(rate * seconds)), rate=rate)

    async def run(self) -> LoadResult:
        result = self.result
        begin = now() + 0.05
        tasks: list[asyncio.Task[None]] = []
        for i in range(result.offered):
            due = begin + i / result.rate
            delay = due - now()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.one(i, due)))
        sent = now()
        await asyncio.gather(*tasks)
        span = max(result.offered / result.rate, 1e-9)
        result.sent_rate = result.offered / max(sent - begin, 1e-9) if result.offered > 1 else 0
        result.completed_rate = len(result.latencies) / max(now() - begin, span)
        return result

    async def one(self, i: int, due: float) -> None:
        result = self.result
        result.send_lag.append(now() - due)
        _, activation_token, signed = self.subscribers[i % len(self.subscribers)]
        round_ = i // len(self.subscribers)
        client = self.client
        headers = {**signed, "Idempotency-Key": f"bench-{i}"}
        if round_ == 0:
            headers[consistency.HEADER] = activation_token
        try:
            paid = await client.call(
                "POST", "/api/v1/me/topups", json={"amount": amount_of(round_)}, headers=headers
            )
            if paid.status_code != 201:
                result.errors[f"top-up answered {paid.status_code}"] += 1
                return
            result.topup_latencies.append(now() - due)
            read = {**signed, consistency.HEADER: paid.headers[consistency.HEADER]}
            while True:
                view = await client.call("GET", "/api/v1/me/dashboard", headers=read)
                if view.status_code != 200:
                    result.errors[f"dashboard answered {view.status_code}"] += 1
                    return
                if shows(view, round_):
                    result.latencies.append(now() - due)
                    if round_ == 0:
                        result.first_latencies.append(now() - due)
                    return
                result.unshown_reads += 1
                if now() - due > GIVE_UP_AFTER:
                    result.errors["top-up never shown"] += 1
                    return
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
            result.errors[type(exc).__name__] += 1


Timings = dict[tuple[str, str], tuple[float, float]]


async def scrape_timings(client: Gateway, settings: Settings) -> Timings:
    """Each process's own request timings from its /metrics: (count, sum of seconds)."""
    found: Timings = {}
    for name in PROCESSES:
        text = (await request(client.session, "GET", f"{settings.url_of(name)}/metrics")).text
        for family in text_string_to_metric_families(text):
            if family.name != "kabinet_http_request_seconds":
                continue
            for sample in family.samples:
                path = sample.labels.get("route", "")
                route = f"{sample.labels.get('method')} {path}"
                if sample.name.endswith(("_count", "_sum")) and path not in OPERATIONAL:
                    count, total = found.get((name, route), (0.0, 0.0))
                    if sample.name.endswith("_count"):
                        count += sample.value
                    else:
                        total += sample.value
                    found[(name, route)] = (count, total)
    return found


def timing_diff(before: Timings, after: Timings) -> dict[tuple[str, str], tuple[int, float]]:
    diff: dict[tuple[str, str], tuple[int, float]] = {}
    for key, (count, total) in after.items():
        count0, total0 = before.get(key, (0.0, 0.0))
        if count > count0:
            diff[key] = (int(count - count0), (total - total0) / (count - count0))
    return diff


async def latency_run(
    settings: Settings, log_dir: Path, rate: float, seconds: float, subscribers: int = 200
) -> LoadResult:
    """Start the services and the gateway as processes; offer top-ups; measure."""
    assert settings.ops_token
    # every bench subscriber signs in from this one address, within minutes
    sign_in = AuthSettings(otp_ip_per_hour=1_000_000, access_ttl=600)
    kids = Children(settings, log_dir, own=(sign_in,))
    try:
        say(f"starting {', '.join(PROCESSES)} as processes (logs in {log_dir})")
        await asyncio.to_thread(kids.start, *PROCESSES)
        async with gateway_client(settings.url_of("gateway")) as client:
            say(f"seeding the demo catalog, activating {subscribers} subscribers")
            token = await asyncio.to_thread(
                seed_catalog, settings.url_of("gateway"), settings.ops_token
            )
            activated = await activate_all(
                client, settings.ops_token, subscribers, catalog_token=token
            )
            say(f"signing the {subscribers} subscribers in with SMS codes")
            numbers = await sign_in_all(client, activated)
            say(f"offering {rate:g} top-ups/s for {seconds:g} s")
            meter = CpuMeter(
                {
                    **{name: process.pid for name, process in kids.running.items()},
                    "bench (load generator)": os.getpid(),
                    "nats-server": listening_pid(settings.nats_url or ""),
                },
                {"postgres (all backends)": listening_pid(settings.database_url or "")},
            )
            before = await scrape_timings(client, settings)
            settle_heap()
            meter.start()
            result = await OpenLoop(client, numbers, rate, seconds).run()
            result.cpu = meter.stop()
            result.server_time = timing_diff(before, await scrape_timings(client, settings))
        result.peak_rss_mb = kids.peak_rss_mb()
        return result
    except Exception:
        for name, process in kids.running.items():
            if process.poll() is not None:
                say(f"{name} exited with {process.returncode}:\n{kids.log_tail(name)}")
        raise
    finally:
        kids.stop()
