"""Auth's application: what every use case shares — the policy from settings, loading
aggregates, saving with retries, opening sessions and issuing their tokens.

The use cases themselves: `signin.py` (codes, passwords, network login) and
`manage.py` (sessions, password changes, notices) — both load → call → save.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from kabinet.clock import Clock, SystemClock
from kabinet.eventstore import KabinetApplication
from kabinet.tokens import AccessClaims, InvalidToken
from services.auth.domain import Client, DelayPolicy, SignInFailed, TooManyRequests
from services.auth.keys import AuthKeys
from services.auth.logins import Login
from services.auth.otp import SendLimits
from services.auth.passwords import Passwords
from services.auth.projections import Directory
from services.auth.quota import HourlyQuota
from services.auth.sessions import Session, SessionLimits
from services.auth.settings import AuthSettings

T = TypeVar("T")


@dataclass(frozen=True)
class Policy:
    access_ttl: int = 300
    otp_ttl: int = 300
    otp_max_attempts: int = 5
    sends: SendLimits = SendLimits()
    otp_ip_per_hour: int = 60
    login_ip_per_hour: int = 300
    delays: DelayPolicy = DelayPolicy()
    sessions: SessionLimits = SessionLimits()
    network_ttl: int = 120

    @classmethod
    def of(cls, settings: AuthSettings) -> Policy:
        return cls(
            access_ttl=settings.access_ttl,
            otp_ttl=settings.otp_ttl,
            otp_max_attempts=settings.otp_max_attempts,
            sends=SendLimits(
                settings.otp_number_per_minute, settings.otp_number_per_hour
            ),
            otp_ip_per_hour=settings.otp_ip_per_hour,
            login_ip_per_hour=settings.login_ip_per_hour,
            delays=DelayPolicy(settings.free_failures, settings.max_delay),
            sessions=SessionLimits(
                settings.idle_timeout,
                settings.absolute_timeout,
                settings.remember_me_timeout,
            ),
            network_ttl=settings.network_ttl,
        )


@dataclass(frozen=True)
class Tokens:
    """What a login or a refresh hands to the client."""

    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime
    session_id: str
    subject_id: str
    kind: str
    remember_me: bool
    client_id: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "refresh_expires_at": self.refresh_expires_at.isoformat(),
            "session_id": self.session_id,
            "subject": {"id": self.subject_id, "kind": self.kind, "client_id": self.client_id},
            "remember_me": self.remember_me,
        }


class AuthBase(KabinetApplication):
    name = "auth"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        clock: Clock | None = None,
        policy: Policy | None = None,
        passwords: Passwords | None = None,
    ) -> None:
        super().__init__(env=env)
        self.clock = clock or SystemClock()
        self.policy = policy or Policy()
        self.passwords = passwords or Passwords()
        self._directory: Directory | None = None
        self._keys: AuthKeys | None = None
        self._quota: HourlyQuota | None = None

    def attach(self, directory: Directory, keys: AuthKeys, quota: HourlyQuota | None) -> None:
        """The parts kept in plain tables of auth's schema (the composition root makes them)."""
        self._directory = directory
        self._keys = keys
        self._quota = quota

    @property
    def directory(self) -> Directory:
        if self._directory is None:
            raise RuntimeError("auth needs its directory projection")
        return self._directory

    @property
    def keys(self) -> AuthKeys:
        if self._keys is None:
            raise RuntimeError("auth needs its keys")
        return self._keys

    def find(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def login_of(self, msisdn: str) -> Login:
        found: Login | None = self.find(Login.id_for(msisdn))
        return found or Login.open(msisdn)

    def retrying_login(self, attempt: Callable[[], T]) -> T:
        """Run load → call → save again when a concurrent write got there first."""
        return self.retrying(attempt, busy="the login is busy, try again", field="msisdn")

    def take_quota(self, bucket: str, ip: str | None, limit: int, now: datetime) -> None:
        if self._quota is None or not ip:
            return
        wait = self._quota.take(bucket, ip, limit, now)
        if wait is not None:
            raise TooManyRequests(
                "too many requests from this address; try again later", wait, field="ip"
            )

    def open_session(
        self,
        login: Login,
        method: str,
        *,
        remember_me: bool,
        now: datetime,
        client: Client,
        purpose: str | None = None,
        admin: dict[str, Any] | None = None,
    ) -> tuple[Session, Tokens]:
        """A new session for `login` (a subscriber, or the corporate admin `admin`)."""
        subject_id, kind = (login.msisdn, "subscriber")
        client_id = None
        if admin is not None:
            subject_id, kind, client_id = admin["subject_id"], "corporate_admin", admin["client_id"]
        session, refresh = Session.start(
            subject_id,
            kind,
            login.msisdn,
            method=method,
            remember_me=remember_me,
            limits=self.policy.sessions,
            now=now,
            client=client,
            purpose=purpose,
            client_id=client_id,
        )
        login.succeed(method, session, now=now, client=client)
        return session, self.tokens(session, refresh, now)

    def tokens(self, session: Session, refresh: str, now: datetime) -> Tokens:
        expires_at = min(now + timedelta(seconds=self.policy.access_ttl), session.expires_at)
        claims = AccessClaims(
            subject=session.subject_id,
            kind=session.kind,
            session_id=session.session_id,
            expires_at=expires_at,
            msisdn=session.msisdn if session.kind == "subscriber" else None,
            client_id=session.client_id,
        )
        return Tokens(
            access_token=self.keys.sign(claims, now),
            expires_in=int((expires_at - now).total_seconds()),
            refresh_token=refresh,
            refresh_expires_at=session.ends_at(),
            session_id=session.session_id,
            subject_id=session.subject_id,
            kind=session.kind,
            remember_me=session.remember_me,
            client_id=session.client_id,
        )

    def caller(self, access_token: str) -> tuple[AccessClaims, Session]:
        """The claims of a valid access token whose session is still open."""
        now = self.clock.now()
        try:
            claims = self.keys.verify(access_token, now)
        except InvalidToken:
            raise SignInFailed("sign-in required", field="Authorization") from None
        session: Session | None = self.find(UUID(hex=claims.session_id))
        if session is None or not session.is_open(now) or session.subject_id != claims.subject:
            raise SignInFailed("the session has ended; sign in again", field="Authorization")
        return claims, session
