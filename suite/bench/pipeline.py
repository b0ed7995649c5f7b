"""`kabinet bench pipeline`: raw baselines, relay and consumer rates, end-to-end latency, memory.

Everything is measured in one run on the same servers, so the ratios compare like with
like: the relay against raw pipelined JetStream publishing, the consumer against raw pull
consumption, the end-to-end path against fixed floors (p99 < 100 ms at 200 top-ups/s,
< 200 MB per service process).
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import time
from dataclasses import dataclass, field

from kabinet.logging import configure_logging
from kabinet.settings import Settings
from suite.bench import baseline, kit
from suite.bench.env import (
    bench_servers,
    bench_settings,
    drop_namespace,
    new_namespace,
    say,
)
from suite.bench.load import PROCESSES, LoadResult, latency_run
from suite.bench.report import Floor, Report, ms, percentile, rate, ratio, times
from suite.testing import Servers

RELAY_FLOOR = 0.5
P99_FLOOR_MS = 100.0
RSS_FLOOR_MB = 200.0


ROUNDS = 3  # the throughput runs are repeated and the best kept: other work shares the machine

RAW_PUBLISH = "raw nats-py publish_async, ≤1000 in flight"
RAW_PUBLISH_ID = "  same, with a Nats-Msg-Id header (dedup)"
RAW_CONSUME = "raw nats-py pull fetch(500) + ack"
RAW_SAVES = "raw eventsourcing get+save, serial (reference)"
BATCHED = "line store: save 1,000 aggregates per transaction"
RELAY = "OutboxRelay alone: line store → JetStream"
CONSUMER = "ConsumerGroup alone: open a ledger per SubscriberActivated"
UNITS = {RAW_SAVES: "saves/s", BATCHED: "events/s", RELAY: "events/s"}


@dataclass
class Rates:
    """Every round's measurement of each rate."""

    rounds: dict[str, list[float]] = field(default_factory=dict)
    partitions: int = 0
    namespaces: list[Settings] = field(default_factory=list)

    def add(self, name: str, value: float) -> None:
        self.rounds.setdefault(name, []).append(value)

    def best(self, name: str) -> float | None:
        return max(self.rounds[name]) if self.rounds.get(name) else None


async def throughput_round(servers: Servers, events: int, found: Rates) -> None:
    """One round on a fresh namespace: raw baselines, then the relay, then the consumer."""
    settings = bench_settings(servers, new_namespace())
    found.namespaces.append(settings)
    found.partitions = settings.partitions
    payload = baseline.sample_payload()
    say(f"raw baselines: {events:,} messages of {len(payload)} bytes ({settings.namespace})")
    found.add(RAW_PUBLISH, await baseline.raw_publish(settings, payload, events, "scratch", False))
    found.add(RAW_PUBLISH_ID, await baseline.raw_publish(settings, payload, events, "scid", True))
    found.add(RAW_CONSUME, await baseline.raw_consume(settings, events, "scratch"))
    found.add(RAW_SAVES, await asyncio.to_thread(baseline.raw_saves, settings))
    lines, ledgers = kit.open_stores(settings)
    try:
        say(f"writing {events:,} line activations to the line store")
        started = time.perf_counter()
        written = await asyncio.to_thread(kit.prewrite, lines, events, settings.partitions)
        found.add(BATCHED, written.count / (time.perf_counter() - started))
        async with kit.kit_nats(settings) as nc:
            say("relay alone: line store → JetStream")
            found.add(RELAY, await kit.relay_rate(lines, written, nc, settings))
            say(f"consumer alone: ledgers, {settings.partitions} partitions")
            found.add(
                CONSUMER, await kit.consumer_rate(ledgers, written, nc.jetstream(), settings)
            )
    finally:
        lines.close()
        ledgers.close()


def add_rates(report: Report, found: Rates, events: int) -> None:
    rows = report.section(
        f"throughput ({events:,} events, {found.partitions} partitions; "
        f"best of {ROUNDS} rounds, range in brackets)"
    )
    for name, values in found.rounds.items():
        spread = f"[{rate(min(values))}–{rate(max(values))}]" if len(values) > 1 else ""
        rows.append((name, rate(max(values)), f"{UNITS.get(name, 'msg/s')}  {spread}"))
    rows = report.section("ratios (best against best)")
    for label, numerator, denominator in (
        ("relay / raw publish", RELAY, RAW_PUBLISH),
        ("relay / raw publish with Nats-Msg-Id", RELAY, RAW_PUBLISH_ID),
        ("consumer / raw consume", CONSUMER, RAW_CONSUME),
        ("consumer / raw serial get+save", CONSUMER, RAW_SAVES),
    ):
        rows.append((label, times(ratio(found.best(numerator), found.best(denominator))), ""))
    relay_ratio = ratio(found.best(RELAY), found.best(RAW_PUBLISH))
    report.floors.append(Floor("relay ≥ 0.5 × raw publish", relay_ratio, RELAY_FLOOR, False))


def add_latency(report: Report, load: LoadResult | None, rate_: float, seconds: float) -> None:
    """Percentiles over every offered top-up: one never shown counts as infinitely late."""
    p99: float | None = None
    if load is not None:
        done = load.latencies
        every = done + [math.inf] * (load.offered - len(done))
        errors = ", ".join(f"{k}: {v}" for k, v in load.errors.items())
        rows = report.section(
            f"end to end: top-up → dashboard shows it ({rate_:g}/s offered for {seconds:g} s)"
        )
        rows += [
            ("top-ups offered / shown", f"{load.offered:,} / {len(done):,}", ""),
            ("send rate achieved", f"{load.sent_rate:,.0f}", "/s"),
            ("completion rate (shown on the dashboard)", f"{load.completed_rate:,.0f}", "/s"),
            ("errors", f"{sum(load.errors.values()):,}", errors),
            ("dashboard reads that did not show it yet (re-read)", f"{load.unshown_reads:,}", ""),
        ]
        rows += [(f"latency p{q}", ms(percentile(every, q)), "ms") for q in (50, 95, 99)]
        rows.append(("latency max", ms(max(every)), "ms"))
        first = load.first_latencies
        rows.append(
            (
                "  first top-up of each number (waits for activation), p50 / p99",
                f"{ms(percentile(first, 50))} / {ms(percentile(first, 99))}",
                "ms",
            )
        )
        topups = load.topup_latencies
        rows.append(
            (
                "  of which POST /me/topups answered, p50 / p99",
                f"{ms(percentile(topups, 50))} / {ms(percentile(topups, 99))}",
                "ms",
            )
        )
        rows.append(("  load generator's send lag, p99", ms(percentile(load.send_lag, 99)), "ms"))
        p99 = percentile(every, 99) * 1000
        inside = report.section("time inside each process (its own /metrics), mean per request")
        inside += [
            (f"{name}: {route}", ms(mean), f"ms  × {count:,}")
            for (name, route), (count, mean) in sorted(load.server_time.items())
        ]
        cpu = report.section(
            f"CPU during the latency run (1.00 = one core busy; {os.cpu_count()} cores)"
        )
        cpu += [(name, f"{share:.2f}", "cores") for name, share in load.cpu.items()]
        mem = report.section("peak resident memory (VmHWM)")
        mem += [(name, f"{mb:.0f}", "MB") for name, mb in load.peak_rss_mb.items()]
    report.floors.append(Floor(f"e2e p99 < 100 ms at {rate_:g}/s", p99, P99_FLOOR_MS, True, " ms"))
    for name in PROCESSES:
        mb = load.peak_rss_mb.get(name) if load else None
        report.floors.append(Floor(f"peak RSS of {name} < 200 MB", mb, RSS_FLOOR_MB, True, " MB"))


async def run(
    events: int = 20_000, rate: int = 200, seconds: float = 15.0, strict: bool = False
) -> int:
    configure_logging("WARNING")
    main = asyncio.current_task()
    assert main is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main.cancel)
    found = Rates()
    load: LoadResult | None = None
    report = Report("")
    try:
        with bench_servers() as (servers, root):
            report.title = (
                f"kabinet bench pipeline — servers: {servers.kind}, "
                f"{events:,} events, {rate}/s for {seconds:g} s"
            )
            try:
                for round_ in range(1, ROUNDS + 1):
                    say(f"throughput round {round_} of {ROUNDS}")
                    try:
                        await throughput_round(servers, events, found)
                    except Exception as exc:
                        report.failures.append(f"throughput: {type(exc).__name__}: {exc}")
                        break
                e2e = bench_settings(servers, new_namespace("e"))
                found.namespaces.append(e2e)
                try:
                    load = await latency_run(e2e, root / "log", rate, seconds)
                except Exception as exc:
                    report.failures.append(f"latency: {type(exc).__name__}: {exc}")
            finally:
                if servers.kind != "embedded":
                    for settings in found.namespaces:
                        await drop_namespace(settings)
    except (asyncio.CancelledError, KeyboardInterrupt):
        say("interrupted: processes stopped, temporary files removed")
        return 130
    add_rates(report, found, events)
    add_latency(report, load, rate, seconds)
    print(report.render(), flush=True)
    return 1 if strict and not report.passed else 0
