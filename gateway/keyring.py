"""auth's public keys, as the gateway holds them to verify access tokens locally.

Fetched from auth's JWKS on first use and again when a token names a key the ring does
not know (auth rotated, or another stack's token); such refetches are spaced at least
`refetch_after` seconds apart, so garbage `kid`s cannot make the gateway hammer auth.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kabinet.tokens import keys_of

Fetch = Callable[[], Awaitable[dict[str, Any]]]


class KeyRing:
    def __init__(self, refetch_after: float = 10.0) -> None:
        self.keys: dict[str, Ed25519PublicKey] = {}
        self.refetch_after = refetch_after
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def holding(self, kid: str, fetch: Fetch) -> dict[str, Ed25519PublicKey]:
        """The keys, fetched (again) first if `kid` is not among them and may be new."""
        if kid in self.keys:
            return self.keys
        async with self._lock:
            due = self._fetched_at is None or (
                time.monotonic() - self._fetched_at >= self.refetch_after
            )
            if kid not in self.keys and due:
                self.keys = keys_of(await fetch())
                self._fetched_at = time.monotonic()
        return self.keys
