"""Calls from the gateway to the services, over HTTP with per-call timeouts.

One aiohttp session (one keep-alive connection pool) serves every service: its
connector hands a free connection to a request in constant time, where httpx's pool
scanned (and polled) every pooled connection per request and became the gateway's
bottleneck under load.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from fastapi import Response
from multidict import CIMultiDictProxy

from kabinet import consistency, context
from kabinet.http import PROBLEM, problem
from kabinet.settings import SERVICES, Settings

PASSED_HEADERS = (consistency.HEADER, "Kabinet-Stale")


class ServiceUnavailable(Exception):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


@dataclass(frozen=True)
class Reply:
    """A service's answer, read in full."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode()


class Services:
    """The services by name, behind one pooled HTTP session."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._bases = {name: settings.url_of(name).rstrip("/") for name in SERVICES}

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=400, limit_per_host=200),
                timeout=aiohttp.ClientTimeout(total=self.settings.service_timeout),
                auto_decompress=False,
                skip_auto_headers=("User-Agent",),
            )
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
        body = None
        if json is not None:
            body = jsonlib.dumps(json).encode()
            sent["Content-Type"] = "application/json"
        url = self._bases[service] + path
        try:
            async with self.session.request(method, url, data=body, headers=sent) as response:
                content = await response.read()
                found: CIMultiDictProxy[str] = response.headers
                return Reply(response.status, found, content)
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


def unavailable(exc: ServiceUnavailable) -> Response:
    return problem(
        503,
        "Service unavailable",
        f"{exc.service} is unavailable ({exc.reason})",
        service=exc.service,
    )
