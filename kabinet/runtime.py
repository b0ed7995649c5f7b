"""The service factory: a service's parts → one FastAPI process with its relay and consumers.

Lifespan: connect NATS (through a FastStream broker), start the outbox relay and
the stream consumers; on SIGTERM finish the batch in hand, ack, and stop.
`/healthz`, `/readyz` (PostgreSQL and NATS reachable) and `/metrics` on every process.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from contracts.subjects import partition_of, upstream_name
from kabinet import consistency
from kabinet.consumer import ConsumerGroup, Subscription
from kabinet.effects import wait_for_position
from kabinet.eventstore import KabinetApplication
from kabinet.http import EdgeMiddleware, install_problem_handlers, problem
from kabinet.relay import EventMapper, OutboxRelay
from kabinet.settings import Settings

log = structlog.get_logger("kabinet.runtime")
T = TypeVar("T")


@dataclass
class ServiceParts:
    """What a service's composition root hands to the runtime."""

    name: str
    routers: Sequence[APIRouter] = ()
    app: KabinetApplication | None = None
    mapper: EventMapper | None = None
    subscriptions: Sequence[Subscription] = ()
    on_start: Sequence[Callable[[], None]] = field(default_factory=tuple)
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=tuple)
    """Long-running loops (e.g. a due-term sweeper), started with the service, cancelled at stop."""
    provides: Sequence[object] = ()
    """What module-level routers reach besides `app` (a read model, a port), found by type
    through `kabinet.deps.provided`."""

    def provided(self, kind: type[T]) -> T:
        """The application or provided part that is a `kind`."""
        for part in (self.app, *self.provides):
            if isinstance(part, kind):
                return part
        raise LookupError(f"the {self.name} service provides no {kind.__name__}")


def nats_broker(settings: Settings) -> NatsBroker:
    return NatsBroker(
        settings.nats_servers,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=5,
        allow_reconnect=True,
    )


class ServiceRuntime:
    def __init__(self, parts: ServiceParts, settings: Settings) -> None:
        self.parts = parts
        self.settings = settings
        self.broker: NatsBroker | None = None
        self.js: JetStreamContext | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: ConsumerGroup | None = None
        self._relay_task: asyncio.Task[None] | None = None
        self._background: list[asyncio.Task[None]] = []
        self._all_of: dict[str, list[Subscription]] = {}
        for subscription in parts.subscriptions:
            self._all_of.setdefault(subscription.producer, []).append(subscription)

    async def start(self) -> None:
        use_worker_threads(self.settings.worker_threads)
        for hook in self.parts.on_start:
            await asyncio.to_thread(hook)
        self._background = [asyncio.create_task(loop()) for loop in self.parts.background]
        if not self.settings.nats_url:
            log.warning("nats_not_configured", service=self.parts.name)
            return
        self.broker = nats_broker(self.settings)
        await self.broker.connect()
        self.js = self.broker.connection.jetstream()
        if self.parts.app is not None and self.parts.mapper is not None:
            self.relay = OutboxRelay(
                self.parts.name,
                self.parts.app,
                self.parts.mapper,
                self.broker.connection,
                self.settings,
            )
            self._relay_task = asyncio.create_task(self.relay.run())
        self.consumers = ConsumerGroup(
            self.parts.name, self.parts.subscriptions, self.js, self.settings
        )
        self.consumers.start()
        log.info(
            "service_started",
            service=self.parts.name,
            replica=self.settings.replica,
            replicas=self.settings.replicas,
            partitions=len(self.consumers.consumers),
        )

    async def stop(self) -> None:
        for task in self._background:
            task.cancel()
        if self._background:
            await asyncio.wait(self._background, timeout=5)
        if self.consumers is not None:
            await self.consumers.stop()
        if self._relay_task is not None:
            # Unacknowledged publishes are simply published again by the next leader.
            self._relay_task.cancel()
            await asyncio.wait([self._relay_task], timeout=5)
        if self.broker is not None:
            connection = self.broker.connection
            with contextlib.suppress(Exception):
                await connection.flush(timeout=2)  # acks already sent leave the socket
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 5)
        if self.parts.app is not None:
            self.parts.app.close()
        log.info("service_stopped", service=self.parts.name)

    async def wait_for(self, token: str | None, key: str) -> bool:
        """Wait until this service's consumers applied the token's positions for `key`."""
        ok = True
        for producer, position in consistency.decode(token).items():
            upstream = upstream_name(producer, partition_of(key, self.settings.partitions))
            for subscription in self._all_of.get(producer, []):
                ok = ok and await wait_for_position(
                    subscription.effects, upstream, position, self.settings.consistency_wait
                )
        return ok

    async def ready(self) -> dict[str, bool]:
        checks: dict[str, bool] = {}
        if self.parts.app is not None and self.settings.database_url:
            try:
                await asyncio.to_thread(self.parts.app.recorder.max_notification_id)
                checks["postgres"] = True
            except Exception:
                checks["postgres"] = False
        if self.settings.nats_url:
            checks["nats"] = bool(self.broker and self.broker.connection.is_connected)
        return checks


_sized_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def use_worker_threads(count: int) -> None:
    """Size the running loop's thread pool (blocking PostgreSQL calls run there).

    The default (CPU count + 4) made a service's consumers and its HTTP
    handlers queue behind each other for a thread; once per loop.
    """
    loop = asyncio.get_running_loop()
    if loop not in _sized_loops:
        loop.set_default_executor(ThreadPoolExecutor(count, thread_name_prefix="kabinet"))
        _sized_loops.add(loop)


def runtime_of(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


def create_service_app(parts: ServiceParts, settings: Settings) -> FastAPI:
    runtime = ServiceRuntime(parts, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    api = FastAPI(title=f"kabinet {parts.name}", lifespan=lifespan)
    api.state.runtime = runtime
    install_problem_handlers(api)
    api.add_middleware(EdgeMiddleware, service=parts.name, max_body_bytes=settings.max_body_bytes)
    for router in parts.routers:
        api.include_router(router)
    api.include_router(operational_router(runtime.ready))
    return api


def operational_router(ready: Callable[[], Awaitable[dict[str, bool]]]) -> APIRouter:
    """`/healthz` (alive), `/readyz` (every dependency answers), `/metrics` (Prometheus)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> Any:
        checks = await ready()
        if all(checks.values()):
            return {"status": "ready", "checks": checks}
        return problem(503, "Not ready", "a dependency is unreachable", checks=checks)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
