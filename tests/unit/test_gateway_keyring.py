"""The gateway remembers verified access tokens only until they expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.keyring import KeyRing
from kabinet.tokens import AccessClaims

NOON = datetime(2026, 3, 1, 12, tzinfo=UTC)


def claims(expires_at: datetime) -> AccessClaims:
    return AccessClaims(
        subject="79001234567",
        kind="subscriber",
        session_id="s1",
        expires_at=expires_at,
        msisdn="79001234567",
    )


def test_a_verified_token_is_remembered_until_it_expires() -> None:
    ring = KeyRing()
    ring.remember("token-a", claims(NOON + timedelta(minutes=5)))

    assert ring.remembered("token-a", NOON) == claims(NOON + timedelta(minutes=5))
    assert ring.remembered("token-b", NOON) is None
    assert ring.remembered("token-a", NOON + timedelta(minutes=5)) is None
    assert ring.remembered("token-a", NOON) is None  # forgotten once seen expired


def test_only_the_most_recently_used_tokens_are_remembered() -> None:
    ring = KeyRing()
    ring.REMEMBERED = 2
    later = NOON + timedelta(minutes=5)
    ring.remember("a", claims(later))
    ring.remember("b", claims(later))
    ring.remembered("a", NOON)  # used again: b is now the oldest
    ring.remember("c", claims(later))

    assert [t for t in "abc" if ring.remembered(t, NOON)] == ["a", "c"]


async def test_fetching_the_keys_again_forgets_every_remembered_token() -> None:
    ring = KeyRing(refetch_after=0)
    ring.remember("token-a", claims(NOON + timedelta(minutes=5)))

    async def jwks() -> dict[str, object]:
        return {"keys": []}

    await ring.holding("a-new-kid", jwks)

    assert ring.remembered("token-a", NOON) is None
