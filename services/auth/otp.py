"""One-time codes of one number: the code in force and the sends of the last hour.

A code is valid `ttl` seconds, for one request id and one purpose, once; a wrong try
counts, and the `max_attempts`-th wrong try burns it; a new request cancels the code
in force. Only the code's keyed digest is kept (see `services.auth.secrets`).

A number that may not sign in gets the same treatment as one that may (a code is
"issued", limits count, tries fail), except that nothing is sent and no try can
succeed: the answers never tell the two apart.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from kabinet.domain import KabinetAggregate, stable_id
from services.auth.domain import TooManyRequests, seconds_until

CANCELLED_KEPT = 10  # request ids remembered as cancelled, to name that failure

DigestOf = Callable[[str, str, str], str]
"""(request id, purpose, code) → the code's keyed digest."""


@dataclass(frozen=True)
class SendLimits:
    per_minute: int = 1
    per_hour: int = 5


@dataclass(frozen=True)
class Refusal:
    """Why a try failed (a LoginFailed reason) and the wrong tries counted so far."""

    reason: str
    attempts: int


class OtpBox(KabinetAggregate):
    class Opened(KabinetAggregate.Created):
        msisdn: str

    class Issued(KabinetAggregate.Event):
        msisdn: str
        request_id: str
        purpose: str
        digest: str
        delivered: bool
        expires_at: datetime
        at: datetime
        channel: str
        ip: str | None
        replaces: str | None

        def apply(self, box: OtpBox) -> None:
            if self.replaces is not None:
                box.cancelled = [*box.cancelled, self.replaces][-CANCELLED_KEPT:]
            box.current = {
                "request_id": self.request_id,
                "purpose": self.purpose,
                "digest": self.digest,
                "delivered": self.delivered,
                "expires_at": self.expires_at,
                "attempts": 0,
                "used": False,
            }
            box.sends = [t for t in box.sends if t > self.at - timedelta(hours=1)] + [self.at]

    class Verified(KabinetAggregate.Event):
        msisdn: str
        request_id: str
        purpose: str
        attempts: int
        at: datetime
        channel: str

        def apply(self, box: OtpBox) -> None:
            assert box.current is not None
            box.current["used"] = True

    class TryFailed(KabinetAggregate.Event):
        """A wrong code for the request in force: counted against it."""

        request_id: str
        attempts: int
        at: datetime

        def apply(self, box: OtpBox) -> None:
            assert box.current is not None
            box.current["attempts"] = self.attempts

    def __init__(self, msisdn: str) -> None:
        self.msisdn = msisdn
        self.current: dict[str, Any] | None = None
        self.cancelled: list[str] = []
        self.sends: list[datetime] = []

    @staticmethod
    def id_for(msisdn: str) -> UUID:
        return stable_id("otp", msisdn)

    @classmethod
    def open(cls, msisdn: str) -> OtpBox:
        return cls._create(cls.Opened, id=cls.id_for(msisdn), msisdn=msisdn)

    def retry_after(self, limits: SendLimits, now: datetime) -> int | None:
        """Seconds until another code may be sent, or None if one may be sent now."""
        last_hour = sorted(t for t in self.sends if t > now - timedelta(hours=1))
        last_minute = [t for t in last_hour if t > now - timedelta(minutes=1)]
        waits = []
        if len(last_minute) >= limits.per_minute:
            waits.append(seconds_until(last_minute[-limits.per_minute] + timedelta(minutes=1), now))
        if len(last_hour) >= limits.per_hour:
            waits.append(seconds_until(last_hour[-limits.per_hour] + timedelta(hours=1), now))
        return max(waits) if waits else None

    def issue(
        self,
        purpose: str,
        digest_of: DigestOf,
        *,
        delivered: bool,
        ttl: int,
        limits: SendLimits,
        now: datetime,
        channel: str,
        ip: str | None,
    ) -> tuple[str, str]:
        """A new code for `purpose` (cancelling the one in force): (request id, code).

        The digest keys the code to its request and purpose. An undelivered code is a
        stand-in: its digest is of nothing anyone can type.
        """
        wait = self.retry_after(limits, now)
        if wait is not None:
            raise TooManyRequests(
                "a code was sent to this number recently; wait before asking again",
                wait,
                field="msisdn",
            )
        request_id = secrets.token_hex(16)
        code = f"{secrets.randbelow(10**6):06d}"
        digest = digest_of(request_id, purpose, code if delivered else secrets.token_hex(32))
        self.trigger_event(
            self.Issued,
            msisdn=self.msisdn,
            request_id=request_id,
            purpose=purpose,
            digest=digest,
            delivered=delivered,
            expires_at=now + timedelta(seconds=ttl),
            at=now,
            channel=channel,
            ip=ip,
            replaces=self.current["request_id"] if self.current else None,
        )
        return request_id, code

    def verify(
        self,
        request_id: str,
        code: str,
        digest_of: DigestOf,
        *,
        purpose: str | None,
        max_attempts: int,
        now: datetime,
        channel: str,
    ) -> Refusal | str:
        """The purpose of the code if `code` is the one in force; else a Refusal."""
        current = self.current
        if current is None or current["request_id"] != request_id:
            reason = "otp_cancelled" if request_id in self.cancelled else "wrong_credentials"
            return Refusal(reason, 0)
        if current["used"]:
            return Refusal("otp_used", current["attempts"])
        if now >= current["expires_at"]:
            return Refusal("otp_expired", current["attempts"])
        if current["attempts"] >= max_attempts:
            return Refusal("too_many_attempts", current["attempts"])
        digest = digest_of(request_id, purpose or current["purpose"], code)
        if not secrets.compare_digest(digest, current["digest"]) or not current["delivered"]:
            attempts = current["attempts"] + 1
            self.trigger_event(self.TryFailed, request_id=request_id, attempts=attempts, at=now)
            burnt = attempts >= max_attempts
            return Refusal("too_many_attempts" if burnt else "wrong_credentials", attempts)
        self.trigger_event(
            self.Verified,
            msisdn=self.msisdn,
            request_id=request_id,
            purpose=current["purpose"],
            attempts=current["attempts"] + 1,
            at=now,
            channel=channel,
        )
        return str(current["purpose"])
