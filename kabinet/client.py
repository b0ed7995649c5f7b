"""Outgoing HTTP over aiohttp: one pooled session, answers read in full.

aiohttp's connector hands a free keep-alive connection to a request in constant time,
where httpx's pool held up the gateway under load (decision 20).
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Reply:
    """An HTTP answer, read in full."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode()


def pooled_session(connections: int, timeout: float) -> aiohttp.ClientSession:
    """A session keeping up to `connections` connections per host alive.

    It keeps no cookies: one session carries the calls of every user, so a cookie one
    answer set must never ride along on another user's call (and filtering the jar for
    every request costs time besides)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, limit_per_host=connections),
        timeout=aiohttp.ClientTimeout(total=timeout),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        skip_auto_headers=("User-Agent",),
    )


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One request; transport failures raise aiohttp.ClientError or TimeoutError."""
    sent = dict(headers or {})
    body = None
    if json is not None:
        body = jsonlib.dumps(json).encode()
        sent["Content-Type"] = "application/json"
    async with session.request(method, url, data=body, headers=sent) as response:
        return Reply(response.status, response.headers, await response.read())
