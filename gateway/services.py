"""Calls from the gateway to the services, over HTTP with per-call timeouts."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.responses import JSONResponse

from kabinet import consistency, context
from kabinet.http import PROBLEM, problem
from kabinet.settings import Settings


class ServiceUnavailable(Exception):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


class Services:
    """One pooled HTTP client per service."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clients: dict[str, httpx.AsyncClient] = {}

    def client(self, service: str) -> httpx.AsyncClient:
        if service not in self.clients:
            self.clients[service] = httpx.AsyncClient(
                base_url=self.settings.url_of(service),
                timeout=self.settings.service_timeout,
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            )
        return self.clients[service]

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = {context.CORRELATION_HEADER: context.correlation_id(), **(headers or {})}
        if token:
            sent[consistency.HEADER] = token
        try:
            return await self.client(service).request(method, path, json=json, headers=sent)
        except httpx.TimeoutException:
            raise ServiceUnavailable(service, "timed out") from None
        except httpx.TransportError as exc:
            raise ServiceUnavailable(service, type(exc).__name__) from None


def relay(response: httpx.Response) -> JSONResponse:
    """Pass a service's answer (problem or not) through to the client."""
    media = PROBLEM if response.headers.get("content-type", "").startswith(PROBLEM) else None
    passed = JSONResponse(response.json(), status_code=response.status_code, media_type=media)
    for header in (consistency.HEADER, "Kabinet-Stale"):
        if header in response.headers:
            passed.headers[header] = response.headers[header]
    return passed


def unavailable(exc: ServiceUnavailable) -> JSONResponse:
    return problem(
        503,
        "Service unavailable",
        f"{exc.service} is unavailable ({exc.reason})",
        service=exc.service,
    )
