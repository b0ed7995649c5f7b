"""Permanent passwords: argon2id hashes (argon2-cffi, RFC 9106 parameters) and the rules
a new password must meet (NIST SP 800-63B: length, not a known-common one, not the number;
no composition rules).
"""

from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services.auth.domain import AuthError

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON = frozenset(
    {
        "password", "password1", "12345678", "123456789", "1234567890", "qwerty123",
        "qwertyuiop", "11111111", "00000000", "87654321", "abc12345", "iloveyou",
        "1q2w3e4r", "1q2w3e4r5t", "qwerty12", "zaq12wsx", "йцукенгш", "пароль123",
    }
)  # fmt: skip


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    @cached_property
    def _stand_in(self) -> str:
        """A hash to check against when there is none, so a miss costs what a hit does."""
        return self.hasher.hash("no password is set for this login")

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def matches(self, stored: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored or self._stand_in, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)

    def check_new(self, password: str, msisdn: str) -> None:
        if len(password) < MIN_LENGTH:
            raise AuthError(
                f"a password has at least {MIN_LENGTH} characters", field="new_password"
            )
        if len(password) > MAX_LENGTH:
            raise AuthError(f"a password has at most {MAX_LENGTH} characters", field="new_password")
        lowered = password.lower()
        if lowered in COMMON or len(set(password)) < 3:
            raise AuthError("this password is too easy to guess", field="new_password")
        if msisdn[1:] in password:
            raise AuthError("a password must not contain the phone number", field="new_password")
