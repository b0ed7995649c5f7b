"""What auth's aggregates share: errors, the client a request came from, the delay policy.

Answers to a failed sign-in never say whether the number exists (no enumeration), so
the errors here carry one message per kind of failure, whoever the number belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kabinet.domain import KabinetError


class AuthError(KabinetError):
    status = 422


class SignInFailed(AuthError):
    """Wrong credentials, or a code that is wrong, expired, used or cancelled."""

    status = 401


class NotAllowed(AuthError):
    status = 403


class TooManyRequests(AuthError):
    """A limit was reached; `Retry-After` says when to try again."""

    status = 429

    def __init__(self, message: str, retry_after: int, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = max(1, retry_after)
        self.headers = {"Retry-After": str(self.retry_after)}


@dataclass(frozen=True)
class Client:
    """Where a request came from, as the gateway saw it."""

    channel: str = "web"  # web | mobile
    ip: str | None = None
    device: str | None = None


@dataclass(frozen=True)
class DelayPolicy:
    """Growing delays after failed logins of one number: none for the first `free`
    failures, then 1 s, 2 s, 4 s … up to `longest` seconds. A success clears them."""

    free: int = 3
    longest: int = 900

    def locked_until(self, failures: int, at: datetime) -> datetime | None:
        if failures < self.free:
            return None
        seconds = min(2 ** min(failures - self.free, 30), self.longest)
        return at + timedelta(seconds=seconds)


def seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


def masked(msisdn: str) -> str:
    """A number for log lines: 7900***4567."""
    return f"{msisdn[:4]}***{msisdn[-4:]}" if len(msisdn) > 8 else "***"
