"""auth's public keys, as the gateway holds them to verify access tokens locally.

Fetched from auth's JWKS on first use and again when a token names a key the ring does
not know (auth rotated, or another stack's token); such refetches are spaced at least
`refetch_after` seconds apart, so garbage `kid`s cannot make the gateway hammer auth.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kabinet import tokens
from kabinet.tokens import AccessClaims, keys_of

Fetch = Callable[[], Awaitable[dict[str, Any]]]


class KeyRing:
    """Auth's public keys, and the tokens already verified with them (until they expire):
    a client sends one token with every request, and checking its signature each time
    was close to a tenth of the gateway's work."""

    REMEMBERED = 10_000

    def __init__(self, refetch_after: float = 10.0) -> None:
        self.keys: dict[str, Ed25519PublicKey] = {}
        self._verified: OrderedDict[str, AccessClaims] = OrderedDict()
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
                self._verified.clear()  # a key may have been withdrawn
        return self.keys

    async def verify(self, token: str, now: datetime, fetch: Fetch) -> AccessClaims:
        """The claims of a genuine, unexpired token (remembered, or checked with the keys);
        `tokens.InvalidToken` otherwise."""
        if (known := self.remembered(token, now)) is not None:
            return known
        claims = tokens.verify(token, await self.holding(tokens.kid_of(token), fetch), now)
        self.remember(token, claims)
        return claims

    def remembered(self, token: str, now: datetime) -> AccessClaims | None:
        """The claims of `token` if it was verified before and has not expired since."""
        claims = self._verified.get(token)
        if claims is None:
            return None
        if now >= claims.expires_at:
            del self._verified[token]
            return None
        self._verified.move_to_end(token)
        return claims

    def remember(self, token: str, claims: AccessClaims) -> None:
        self._verified[token] = claims
        if len(self._verified) > self.REMEMBERED:
            self._verified.popitem(last=False)
