"""Auth's own secrets, kept in its PostgreSQL schema so every replica shares them: the
Ed25519 key pair that signs access tokens, and the key of the codes' HMAC.

Each is created once (the first replica to start inserts it; the others read what won).
The private key is stored unencrypted in auth's schema: whoever can read that schema can
sign tokens, so the schema's grants are the protection (a KMS would be the next step).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from kabinet import tokens
from kabinet.effects import ProjectionStore
from kabinet.tokens import AccessClaims

SECRETS_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.auth_secret (
    name text PRIMARY KEY,
    value text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


def _new_private_pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        .decode()
    )


class AuthKeys:
    """Signs and verifies access tokens; digests one-time codes."""

    def __init__(self, store: ProjectionStore, pepper: str | None = None) -> None:
        self.store = store
        self._pepper = pepper.encode() if pepper else b""
        self._private: Ed25519PrivateKey | None = None

    def setup(self) -> None:
        self.store.setup(SECRETS_DDL)
        loaded = load_pem_private_key(self._once("signing_key", _new_private_pem).encode(), None)
        assert isinstance(loaded, Ed25519PrivateKey)
        self._private = loaded
        if not self._pepper:
            self._pepper = self._once("otp_pepper", lambda: secrets.token_hex(32)).encode()

    def _once(self, name: str, make: Any) -> str:
        with self.store.datastore.transaction(commit=True) as cur:
            cur.execute(
                f'INSERT INTO "{self.store.schema}".auth_secret (name, value) VALUES (%s, %s) '
                "ON CONFLICT (name) DO NOTHING",
                (name, make()),
            )
            cur.execute(
                f'SELECT value FROM "{self.store.schema}".auth_secret WHERE name = %s', (name,)
            )
            row = cur.fetchone()
            assert row is not None
            return str(row["value"])

    @property
    def private(self) -> Ed25519PrivateKey:
        if self._private is None:
            raise RuntimeError("auth keys are not set up yet")
        return self._private

    def jwks(self) -> dict[str, Any]:
        return {"keys": [tokens.public_jwk(self.private.public_key())]}

    def sign(self, claims: AccessClaims, now: datetime) -> str:
        return tokens.sign(self.private, claims, now)

    def verify(self, token: str, now: datetime) -> AccessClaims:
        public = self.private.public_key()
        return tokens.verify(token, {tokens.key_id(public): public}, now)

    def code_digest(self, msisdn: str, request_id: str, purpose: str, code: str) -> str:
        """HMAC-SHA256 of the code, keyed by a server secret and bound to its number,
        request and purpose.

        Why not argon2: a code has only 10^6 values, so any hash of it — however slow —
        falls to an offline search once the digest and its salt leak. What protects a
        stored code is a key the database does not hold (set `KABINET_AUTH_OTP_PEPPER`
        in production), together with the 5-minute life and the 5-try limit; argon2
        would only add CPU per request (a denial-of-service lever) without adding that.
        """
        message = f"{msisdn}:{request_id}:{purpose}:{code}".encode()
        return hmac.new(self._pepper, message, hashlib.sha256).hexdigest()
