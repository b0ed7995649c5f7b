"""Access tokens: short-lived JWTs that auth signs (EdDSA, Ed25519) and anyone verifies.

Auth signs with its private key and names the key in the `kid` header; verifiers hold
auth's public keys (its JWKS) and check the token locally. Times are checked against
the kabinet clock (not the machine's), so tests move a ManualClock instead of sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

ALGORITHM = "EdDSA"
ISSUER = "kabinet-auth"
AUDIENCE = "kabinet"
FUTURE_LEEWAY = 30  # seconds a token's `iat` may lie ahead of a verifier's clock


class InvalidToken(Exception):
    """Not a valid access token (malformed, tampered, expired, or of an unknown key)."""


class UnknownKey(InvalidToken):
    """Signed with a key this verifier does not hold (yet)."""

    def __init__(self, kid: str) -> None:
        super().__init__(f"unknown key {kid!r}")
        self.kid = kid


@dataclass(frozen=True)
class AccessClaims:
    """Who a valid access token speaks for."""

    subject: str
    kind: str  # subscriber | corporate_admin
    session_id: str
    expires_at: datetime
    msisdn: str | None = None
    client_id: str | None = None


def key_id(public: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint of the public key, base64url, as the `kid`."""
    jwk = json.loads(OKPAlgorithm.to_jwk(public))
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:22]


def public_jwk(public: Ed25519PublicKey) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(public))
    return {**jwk, "kid": key_id(public), "alg": ALGORITHM, "use": "sig"}


def keys_of(jwks: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """A JWKS document → public keys by `kid` (keys of other types are skipped)."""
    found: dict[str, Ed25519PublicKey] = {}
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("kid"):
            key = OKPAlgorithm.from_jwk(jwk)
            if isinstance(key, Ed25519PublicKey):
                found[str(jwk["kid"])] = key
    return found


def sign(
    private: Ed25519PrivateKey,
    claims: AccessClaims,
    now: datetime,
) -> str:
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": claims.subject,
        "kind": claims.kind,
        "sid": claims.session_id,
        "iat": int(now.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
        "jti": secrets.token_hex(8),
    }
    if claims.msisdn:
        payload["msisdn"] = claims.msisdn
    if claims.client_id:
        payload["client_id"] = claims.client_id
    headers = {"kid": key_id(private.public_key())}
    return jwt.encode(payload, private, algorithm=ALGORITHM, headers=headers)


def kid_of(token: str) -> str:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("malformed token") from exc
    if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
        raise InvalidToken("not an access token of kabinet")
    return str(header["kid"])


def verify(token: str, keys: Mapping[str, Ed25519PublicKey], now: datetime) -> AccessClaims:
    """The claims of a genuine, unexpired access token; InvalidToken otherwise."""
    kid = kid_of(token)
    key = keys.get(kid)
    if key is None:
        raise UnknownKey(kid)
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={
                # times are checked below, against the kabinet clock
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require": ["exp", "iat", "sub", "sid", "kind"],
            },
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    expires_at = datetime.fromtimestamp(int(payload["exp"]), tz=now.tzinfo)
    if now >= expires_at:
        raise InvalidToken("the access token has expired")
    if int(payload["iat"]) > now.timestamp() + FUTURE_LEEWAY:
        raise InvalidToken("the access token is not valid yet")
    return AccessClaims(
        subject=str(payload["sub"]),
        kind=str(payload["kind"]),
        session_id=str(payload["sid"]),
        expires_at=expires_at,
        msisdn=payload.get("msisdn"),
        client_id=payload.get("client_id"),
    )
