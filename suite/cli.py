"""The `kabinet` command: up, serve, seed, bench."""

from __future__ import annotations

import gc
import signal
import sys
import threading
from typing import Annotated, Any

import typer
import uvicorn

from kabinet.logging import configure_logging
from suite.registry import UnknownProcess, build_app, process_settings

app = typer.Typer(
    help="kabinet: a mobile operator's subscriber self-service suite.", no_args_is_help=True
)
bench_app = typer.Typer(
    help="Benchmarks that print ratios against raw baselines.", no_args_is_help=True
)
app.add_typer(bench_app, name="bench")


@app.command()
def serve(
    name: Annotated[str, typer.Argument(help="gateway or a service name")],
    port: Annotated[int | None, typer.Option(help="overrides KABINET_<NAME>_PORT")] = None,
    replica: Annotated[
        int | None, typer.Option(help="this replica's index (KABINET_REPLICA)")
    ] = None,
    replicas: Annotated[int | None, typer.Option(help="replica count (KABINET_REPLICAS)")] = None,
) -> None:
    """Run one service (or the gateway) as this process."""
    overrides: dict[str, Any] = {
        k: v for k, v in {"replica": replica, "replicas": replicas}.items() if v is not None
    }
    if port is not None:
        overrides["ports"] = {name: port}
    settings = process_settings(**overrides)
    configure_logging(settings.log_level, settings.log_json, service=name)
    try:
        api = build_app(name, settings)
    except UnknownProcess as exc:
        raise typer.BadParameter(str(exc)) from None
    # Everything alive now (modules, schemas, routes) lives as long as the process: kept out
    # of the cyclic collector's scans, a full collection pauses a service for ~15 ms, not
    # ~100 ms (measured in payments at 500 charges/s).
    gc.collect()
    gc.freeze()
    uvicorn.run(
        api,
        host=settings.host,
        port=settings.port_of(name),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )


@app.command()
def up() -> None:
    """Start NATS, PostgreSQL, every service and the gateway; seed demo data; wait for Ctrl-C."""
    from suite.seed import DEMO_PASSWORD, seed
    from suite.stack import Stack

    settings = process_settings()
    configure_logging(settings.log_level, settings.log_json, service="up")
    stack = Stack(settings)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        env = stack.start()
        people = seed(settings.url_of("gateway"), env["KABINET_OPS_TOKEN"])
        print(
            f"\nkabinet is up: {settings.url_of('gateway')}\n"
            f"  staff token (KABINET_OPS_TOKEN): {env['KABINET_OPS_TOKEN']}\n"
            f"  demo numbers: {', '.join(p['msisdn'] for p in people)}"
            f" (password {DEMO_PASSWORD}, or a code from {settings.url_of('gateway')}/dev/sms)\n"
            f"  data: {stack.var}\n  Ctrl-C stops everything.\n",
            flush=True,
        )
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping kabinet…", flush=True)
        stack.stop()


@app.command("seed")
def seed_command() -> None:
    """Load the demo subscribers into a running stack (KABINET_OPS_TOKEN required)."""
    from suite.seed import seed

    settings = process_settings()
    if not settings.ops_token:
        raise typer.BadParameter("set KABINET_OPS_TOKEN to the stack's staff token")
    for person in seed(settings.url_of("gateway"), settings.ops_token):
        print(person["msisdn"], person["owner_name"])


@bench_app.command("pipeline")
def bench_pipeline(
    events: Annotated[int, typer.Option(help="events for the throughput runs")] = 20_000,
    rate: Annotated[int, typer.Option(help="offered top-ups per second for latency")] = 200,
    seconds: Annotated[float, typer.Option(help="length of the latency run")] = 15.0,
    strict: Annotated[bool, typer.Option(help="exit 1 when a floor fails")] = False,
) -> None:
    """Raw JetStream baselines, relay and consumer rates, end-to-end latency, memory."""
    from suite.bench.env import run_loop
    from suite.bench.pipeline import run

    sys.exit(run_loop(run(events=events, rate=rate, seconds=seconds, strict=strict)))


@bench_app.command("catalog")
def bench_catalog(
    seconds: Annotated[float, typer.Option(help="length of each measured run")] = 5.0,
    connections: Annotated[int, typer.Option(help="concurrent keep-alive connections")] = 32,
    strict: Annotated[bool, typer.Option(help="exit 1 when a floor fails")] = False,
) -> None:
    """Tariff list throughput and p99 next to a bare FastAPI endpoint, same run."""
    from suite.bench.catalog import run
    from suite.bench.env import run_loop

    sys.exit(run_loop(run(seconds=seconds, connections=connections, strict=strict)))


@bench_app.command("payments")
def bench_payments(
    topups: Annotated[int, typer.Option(help="top-ups through the gateway")] = 3_000,
    charges: Annotated[int, typer.Option(help="charges applied from NATS")] = 20_000,
    concurrency: Annotated[int, typer.Option(help="concurrent top-up clients")] = 16,
    strict: Annotated[bool, typer.Option(help="exit 1 when a floor fails")] = False,
) -> None:
    """Top-ups/s through the gateway, charges/s from NATS, p50/p99, raw save rate."""
    from suite.bench.env import run_loop
    from suite.bench.payments import run

    sys.exit(run_loop(run(topups, charges, concurrency, strict)))


if __name__ == "__main__":
    app()
