"""A session: opened by a login, kept alive by refreshes, ended by logout, by a limit or
for security.

Its refresh token is rotated on every use; only digests are kept. Presenting a token
that was already rotated away means it was copied: the whole session ends
(`reuse_detected`). Limits: `idle_timeout` seconds without a refresh, and the absolute
`expires_at`; "remember me" stretches both to the remembered limit.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from kabinet.domain import KabinetAggregate
from services.auth.domain import Client


@dataclass(frozen=True)
class SessionLimits:
    idle: int = 30 * 60
    absolute: int = 12 * 3600
    remembered: int = 30 * 86400


def refresh_digest(secret: str) -> str:
    """A refresh secret has 256 random bits: a plain SHA-256 cannot be reversed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_refresh(session_id: str) -> tuple[str, str]:
    """An opaque refresh token `<session>.<secret>` and the digest kept of it."""
    secret = secrets.token_urlsafe(32)
    return f"{session_id}.{secret}", refresh_digest(secret)


def parse_refresh(token: str) -> tuple[UUID, str] | None:
    session_id, _, secret = token.partition(".")
    try:
        return UUID(hex=session_id), refresh_digest(secret)
    except ValueError:
        return None


class Session(KabinetAggregate):
    class Started(KabinetAggregate.Created):
        subject_id: str
        kind: str
        msisdn: str
        client_id: str | None
        method: str
        purpose: str | None
        remember_me: bool
        digest: str
        at: datetime
        idle_timeout: int
        expires_at: datetime
        channel: str
        ip: str | None
        device: str | None

    class Refreshed(KabinetAggregate.Event):
        digest: str
        at: datetime
        ip: str | None

        def apply(self, session: Session) -> None:
            session.previous = [*session.previous, session.digest]
            session.digest = self.digest
            session.last_active_at = self.at
            session.ip = self.ip or session.ip

    class Ended(KabinetAggregate.Event):
        subject_id: str
        msisdn: str
        reason: str
        limit: str | None
        at: datetime
        channel: str
        started_at: datetime
        last_active_at: datetime

        def apply(self, session: Session) -> None:
            session.ended = self.reason

    def __init__(
        self,
        subject_id: str,
        kind: str,
        msisdn: str,
        client_id: str | None,
        method: str,
        purpose: str | None,
        remember_me: bool,
        digest: str,
        at: datetime,
        idle_timeout: int,
        expires_at: datetime,
        channel: str,
        ip: str | None,
        device: str | None,
    ) -> None:
        self.subject_id = subject_id
        self.kind = kind
        self.msisdn = msisdn
        self.client_id = client_id
        self.method = method
        self.purpose = purpose
        self.remember_me = remember_me
        self.digest = digest
        self.previous: list[str] = []
        self.started_at = at
        self.last_active_at = at
        self.idle_timeout = idle_timeout
        self.expires_at = expires_at
        self.channel = channel
        self.ip = ip
        self.device = device
        self.ended: str | None = None

    @property
    def session_id(self) -> str:
        return self.id.hex

    @classmethod
    def start(
        cls,
        subject_id: str,
        kind: str,
        msisdn: str,
        *,
        method: str,
        remember_me: bool,
        limits: SessionLimits,
        now: datetime,
        client: Client,
        purpose: str | None = None,
        client_id: str | None = None,
    ) -> tuple[Session, str]:
        """A new session and its first refresh token."""
        session_id = uuid.uuid4()
        token, digest = new_refresh(session_id.hex)
        lasting = limits.remembered if remember_me else limits.absolute
        session = cls._create(
            cls.Started,
            id=session_id,
            subject_id=subject_id,
            kind=kind,
            msisdn=msisdn,
            client_id=client_id,
            method=method,
            purpose=purpose,
            remember_me=remember_me,
            digest=digest,
            at=now,
            idle_timeout=limits.remembered if remember_me else limits.idle,
            expires_at=now + timedelta(seconds=lasting),
            channel=client.channel,
            ip=client.ip,
            device=(client.device or "")[:200] or None,
        )
        return session, token

    def limit_reached(self, now: datetime) -> str | None:
        if now >= self.expires_at:
            return "absolute"
        if now >= self.last_active_at + timedelta(seconds=self.idle_timeout):
            return "idle"
        return None

    def is_open(self, now: datetime) -> bool:
        return self.ended is None and self.limit_reached(now) is None

    def ends_at(self) -> datetime:
        return min(self.expires_at, self.last_active_at + timedelta(seconds=self.idle_timeout))

    def refresh(self, presented: str, now: datetime, client: Client) -> str:
        """Rotate the refresh token: the new token, or a refusal.

        Refusals: SessionRefused with reason `ended`, `expired`, `reuse_detected` or
        `unknown` (a token this session never issued).
        """
        if self.ended is not None:
            raise SessionRefused("ended")
        if secrets.compare_digest(presented, self.digest):
            limit = self.limit_reached(now)
            if limit is not None:
                self.end("expired", now, "system", limit=limit)
                raise SessionRefused("expired")
            token, digest = new_refresh(self.session_id)
            self.trigger_event(self.Refreshed, digest=digest, at=now, ip=client.ip)
            return token
        if presented in self.previous:
            self.end("reuse_detected", now, "system")
            raise SessionRefused("reuse_detected")
        raise SessionRefused("unknown")

    def end(self, reason: str, now: datetime, channel: str, limit: str | None = None) -> None:
        if self.ended is None:
            self.trigger_event(
                self.Ended,
                subject_id=self.subject_id,
                msisdn=self.msisdn,
                reason=reason,
                limit=limit,
                at=now,
                channel=channel,
                started_at=self.started_at,
                last_active_at=self.last_active_at,
            )

    def end_if_open(self, reason: str, now: datetime, channel: str) -> None:
        """End for `reason`, or record the limit that already ended it."""
        limit = self.limit_reached(now)
        if limit is not None:
            self.end("expired", now, "system", limit=limit)
        else:
            self.end(reason, now, channel)


class SessionRefused(Exception):
    """A refresh that must not go on; the session's events (if any) are still saved."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
