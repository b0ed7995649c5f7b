"""`kabinet bench payments`: top-ups/s through the gateway and charges/s applied from NATS,
with p50/p99, next to the raw eventsourcing save rate measured in the same run.

Floors (this 2-core machine): ≥ 300 top-ups/s, ≥ 1,000 charges/s, p99 < 100 ms.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import nats

from contracts.detailing import ChargeIncurred
from contracts.subjects import partition_of, subject, upstream_name
from kabinet.effects import ProjectionStore
from kabinet.eventstore import RELAY_TRACKING, persistence_env, schema_name
from kabinet.logging import configure_logging
from kabinet.settings import Settings
from kabinet.streams import ensure_stream, producer_stream_config
from kabinet.tokens import AccessClaims
from services.auth.keys import AuthKeys
from services.auth.manage import AuthApplication
from services.payments.application import PaymentsApplication
from services.payments.domain import Balance
from suite.bench import baseline
from suite.bench.env import (
    bench_servers,
    bench_settings,
    drop_namespace,
    new_namespace,
    say,
    settle_heap,
)
from suite.bench.load import gateway_client
from suite.bench.procs import Children
from suite.bench.report import Floor, Report, ms, percentile, rate, ratio, times

TOPUP_FLOOR = 300.0
CHARGE_FLOOR = 1_000.0
P99_FLOOR_MS = 100.0
PACED_TOPUPS = 100.0
POLL = 0.005


def access_tokens(settings: Settings, numbers: list[str]) -> dict[str, dict[str, str]]:
    """Authorization headers with access tokens signed by auth's own key (from its schema),
    as auth issues them after a sign-in. These ledgers belong to no activated subscriber,
    so they cannot sign in; the bench measures top-ups, not sign-ins. Valid 10 minutes."""
    app = AuthApplication(env=persistence_env(settings, "auth"))
    try:
        datastore = app.factory.datastore  # type: ignore[attr-defined]
        keys = AuthKeys(ProjectionStore(datastore, schema_name("auth", settings.namespace)))
        keys.setup()
        now = datetime.now(UTC)
        until = now + timedelta(seconds=600)
        signed = {
            m: keys.sign(AccessClaims(m, "subscriber", uuid.uuid4().hex, until, msisdn=m), now)
            for m in numbers
        }
        return {m: {"Authorization": f"Bearer {token}"} for m, token in signed.items()}
    finally:
        app.close()


def open_ledgers(app: PaymentsApplication, count: int) -> list[str]:
    numbers = [f"79{n:09d}" for n in range(count)]
    for start in range(0, count, 250):  # well below the size that stalls one save
        app.save(*[Balance.open(m) for m in numbers[start : start + 250]])
    return numbers


async def top_ups(
    settings: Settings, numbers: dict[str, dict[str, str]], count: int, concurrency: int
) -> tuple[float, list[float]]:
    """`count` top-ups through the gateway by `concurrency` clients; (rate, latencies)."""
    latencies: list[float] = []
    todo = iter(range(count))
    run = uuid.uuid4().hex[:8]
    async with gateway_client(settings.url_of("gateway")) as client:
        callers = list(numbers.values())

        async def worker() -> None:
            for i in todo:
                started = time.perf_counter()
                response = await client.call(
                    "POST",
                    "/api/v1/me/topups",
                    json={"amount": "100.00"},
                    headers={**callers[i % len(callers)], "Idempotency-Key": f"{run}-{i}"},
                )
                latencies.append(time.perf_counter() - started)
                if response.status_code != 201:
                    raise RuntimeError(f"top-up answered {response.status_code}: {response.text}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return count / (time.perf_counter() - started), latencies


async def paced_top_ups(
    settings: Settings, numbers: dict[str, dict[str, str]], rate_per_s: float, seconds: float
) -> list[float]:
    """Open-loop top-ups at a fixed rate (each started on schedule); their latencies."""
    latencies: list[float] = []
    run = uuid.uuid4().hex[:8]
    callers = list(numbers.values())
    async with gateway_client(settings.url_of("gateway")) as client:

        async def one(i: int) -> None:
            started = time.perf_counter()
            response = await client.call(
                "POST",
                "/api/v1/me/topups",
                json={"amount": "100.00"},
                headers={**callers[i % len(callers)], "Idempotency-Key": f"{run}-{i}"},
            )
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201:
                raise RuntimeError(f"top-up answered {response.status_code}: {response.text}")

        tasks = []
        begin = time.perf_counter()
        for i in range(int(rate_per_s * seconds)):
            await asyncio.sleep(max(0.0, begin + i / rate_per_s - time.perf_counter()))
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return latencies


async def charges(
    settings: Settings, app: PaymentsApplication, numbers: list[str], count: int, pace: float
) -> tuple[float, list[float]]:
    """Publish `count` ChargeIncurred (at `pace`/s, 0 = at once) and wait until all applied;
    (applied/s, per-charge latency from publish to the ChargeApplied timestamp)."""
    nc = await nats.connect(settings.nats_servers)
    js = nc.jetstream(publish_async_max_pending=1_000)
    await ensure_stream(js, producer_stream_config("detailing", settings))
    info = await js.stream_info(producer_stream_config("detailing", settings).name or "")
    position = info.state.messages
    published: dict[str, float] = {}
    last: dict[str, int] = {}
    touched: set[str] = set()
    started = time.perf_counter()
    try:
        for i in range(count):
            position += 1
            msisdn = numbers[i % len(numbers)]
            charge_id = uuid.uuid4().hex
            event = ChargeIncurred(
                event_id=uuid.uuid4(),
                occurred_at=datetime.now(UTC),
                position=position,
                msisdn=msisdn,
                charge_id=charge_id,
                kind="usage",
                amount_kopecks=1_00,
                cause_type="UsageRated",
            )
            partition = partition_of(msisdn, settings.partitions)
            published[charge_id] = time.time()
            await js.publish_async(
                subject("detailing", partition, "ChargeIncurred", settings.namespace),
                event.model_dump_json().encode(),
                headers={
                    "Nats-Msg-Id": f"{settings.namespace}:detailing:{position}",
                    "Kabinet-Position": str(position),
                },
            )
            last[upstream_name("detailing", partition)] = position
            touched.add(msisdn)
            if pace:
                await asyncio.sleep(max(0.0, started + (i + 1) / pace - time.perf_counter()))
        await js.publish_async_completed()
    finally:
        await nc.close()
    while not all(app.tracked_position(u) >= p for u, p in last.items()):
        await asyncio.sleep(POLL)  # poll: the service's tracking rows
    elapsed = time.perf_counter() - started
    latencies = []
    for msisdn in touched:
        for e in app.repository.event_store.get(Balance.id_for(msisdn)):
            if isinstance(e, Balance.ChargeApplied) and e.charge_id in published:
                latencies.append(e.timestamp.timestamp() - published[e.charge_id])
    return count / elapsed, latencies


async def settle(settings: Settings, app: PaymentsApplication, timeout: float = 120.0) -> None:
    """Wait until the last run's aftermath is over: payments relayed its whole log and no
    consumer of PAYMENTS has anything left, so a paced run measures only itself."""
    nc = await nats.connect(settings.nats_servers)
    js = nc.jetstream()
    stream = producer_stream_config("payments", settings).name or ""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            last = await asyncio.to_thread(app.recorder.max_notification_id) or 0
            relayed = await asyncio.to_thread(app.tracked_position, RELAY_TRACKING) >= last
            busy = [
                c for c in await js.consumers_info(stream) if c.num_pending or c.num_ack_pending
            ]
            if relayed and not busy:
                return
            await asyncio.sleep(0.2)  # poll: the relay and consumers have no event to wait on
    finally:
        await nc.close()


async def run(topups: int, charge_count: int, concurrency: int, strict: bool) -> int:
    configure_logging("WARNING", json=True)
    report = Report("kabinet bench payments")
    with bench_servers() as (servers, root):
        settings = bench_settings(servers, new_namespace("p"))
        say(f"servers: {servers.kind}; namespace {settings.namespace}")
        children = Children(settings, root / "log")
        app = PaymentsApplication(env=persistence_env(settings, "payments"))
        try:
            say("raw eventsourcing get+save (baseline)")
            raw = await asyncio.to_thread(baseline.raw_saves, settings)
            numbers = await asyncio.to_thread(open_ledgers, app, 1_000)
            say("starting account, auth, payments, gateway")
            await asyncio.to_thread(children.start, "account", "auth", "payments", "gateway")
            callers = await asyncio.to_thread(access_tokens, settings, numbers)
            settle_heap()
            say(f"{topups:,} top-ups through the gateway, {concurrency} clients")
            await top_ups(settings, callers, min(200, topups), concurrency)  # warm-up
            topup_rate, topup_lat = await top_ups(settings, callers, topups, concurrency)
            say(f"top-ups paced at {PACED_TOPUPS:.0f}/s for latency")
            paced_lat = await paced_top_ups(settings, callers, PACED_TOPUPS, 10.0)
            say(f"{charge_count:,} charges from NATS at once")
            charge_rate, _ = await charges(settings, app, numbers, charge_count, 0)
            await settle(settings, app)
            say("charges paced at 500/s for latency")
            _, charge_lat = await charges(settings, app, numbers, 2_000, 500)
        finally:
            await asyncio.to_thread(children.stop)
            app.close()
            await drop_namespace(settings)
    rows = report.section("rates (same run, same servers)")
    rows.append(("raw eventsourcing get+save, serial", rate(raw), "saves/s"))
    rows.append(("top-ups through the gateway", rate(topup_rate), "top-ups/s"))
    rows.append(("  × raw save rate", times(ratio(topup_rate, raw)), ""))
    rows.append(
        (
            "top-up latency p50 / p99",
            f"{ms(percentile(topup_lat, 50))} / {ms(percentile(topup_lat, 99))}",
            "ms",
        )
    )
    rows.append(
        (
            f"top-up latency at {PACED_TOPUPS:.0f}/s, p50 / p99",
            f"{ms(percentile(paced_lat, 50))} / {ms(percentile(paced_lat, 99))}",
            "ms",
        )
    )
    rows.append(("charges applied from NATS (backlog)", rate(charge_rate), "charges/s"))
    rows.append(("  × raw save rate", times(ratio(charge_rate, raw)), ""))
    rows.append(
        (
            "charge latency at 500/s, p50 / p99",
            f"{ms(percentile(charge_lat, 50))} / {ms(percentile(charge_lat, 99))}",
            "ms",
        )
    )
    report.floors += [
        Floor("top-ups/s through the gateway", topup_rate, TOPUP_FLOOR, below=False),
        Floor("charges/s applied from NATS", charge_rate, CHARGE_FLOOR, below=False),
        Floor(
            f"top-up p99 at {PACED_TOPUPS:.0f}/s",
            percentile(paced_lat, 99) * 1000,
            P99_FLOOR_MS,
            True,
            " ms",
        ),
        Floor("charge p99 at 500/s", percentile(charge_lat, 99) * 1000, P99_FLOOR_MS, True, " ms"),
    ]
    print(report.render())
    return 1 if strict and not report.passed else 0
