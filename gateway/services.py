"""Calls from the gateway to the services, over one pooled HTTP session with
per-call timeouts."""

from __future__ import annotations

from typing import Any

import aiohttp
from fastapi import Response
from fastapi.responses import JSONResponse

from gateway.settings import upstream_urls
from kabinet import consistency, context
from kabinet.client import Reply, pooled_session, request
from kabinet.http import PROBLEM, problem
from kabinet.settings import Settings

PASSED_HEADERS = (consistency.HEADER, "Kabinet-Stale")


class ServiceUnavailable(Exception):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


class Services:
    """The services by name, behind one pooled HTTP session."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._bases = upstream_urls(settings)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = pooled_session(200, self.settings.service_timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = {context.CORRELATION_HEADER: context.correlation_id(), **(headers or {})}
        if token:
            sent[consistency.HEADER] = token
        url = self._bases[service] + path
        try:
            return await request(self.session, method, url, json=json, headers=sent)
        except TimeoutError:
            raise ServiceUnavailable(service, "timed out") from None
        except aiohttp.ClientError as exc:
            raise ServiceUnavailable(service, type(exc).__name__) from None


def relay(reply: Reply) -> Response:
    """Pass a service's answer (problem or not) through to the client, bytes unchanged."""
    kind = reply.headers.get("Content-Type", "application/json")
    media = PROBLEM if kind.startswith(PROBLEM) else "application/json"
    passed = Response(reply.content, status_code=reply.status_code, media_type=media)
    for header in PASSED_HEADERS:
        if header in reply.headers:
            passed.headers[header] = reply.headers[header]
    return passed


def unavailable(exc: ServiceUnavailable) -> JSONResponse:
    return problem(
        503,
        "Service unavailable",
        f"{exc.service} is unavailable ({exc.reason})",
        service=exc.service,
    )
