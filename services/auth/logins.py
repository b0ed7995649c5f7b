"""Everything auth keeps about one login name (a number) besides its codes and sessions:
the password's hash, failures in a row and the delay they impose, the login
notifications chosen, and the sessions open.

Failures are counted for any number, known or not, so delays never tell them apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from kabinet.domain import KabinetAggregate, stable_id
from services.auth.domain import Client, DelayPolicy, TooManyRequests, seconds_until

NOTICES = ("sms", "email")


class Login(KabinetAggregate):
    class Opened(KabinetAggregate.Created):
        msisdn: str

    class Failed(KabinetAggregate.Event):
        msisdn: str
        method: str
        reason: str
        known: bool
        failures: int
        locked_until: datetime | None
        at: datetime
        channel: str
        ip: str | None
        request_id: str | None

        def apply(self, login: Login) -> None:
            login.failures = self.failures
            login.locked_until = self.locked_until

    class Succeeded(KabinetAggregate.Event):
        msisdn: str
        subject_id: str
        kind: str
        client_id: str | None
        method: str
        session_id: str
        remember_me: bool
        notify_via: list[str]
        at: datetime
        channel: str
        ip: str | None

        def apply(self, login: Login) -> None:
            login.failures = 0
            login.locked_until = None
            login.sessions = [*login.sessions, self.session_id]

    class PasswordSet(KabinetAggregate.Event):
        msisdn: str
        digest: str
        how: str
        sessions_ended: list[str]
        at: datetime
        channel: str

        def apply(self, login: Login) -> None:
            login.password_digest = self.digest
            login.sessions = [s for s in login.sessions if s not in self.sessions_ended]

    class PasswordRehashed(KabinetAggregate.Event):
        digest: str

        def apply(self, login: Login) -> None:
            login.password_digest = self.digest

    class NoticesChosen(KabinetAggregate.Event):
        notify_via: list[str]
        at: datetime

        def apply(self, login: Login) -> None:
            login.notify_via = list(self.notify_via)

    class SessionClosed(KabinetAggregate.Event):
        session_id: str

        def apply(self, login: Login) -> None:
            login.sessions = [s for s in login.sessions if s != self.session_id]

    def __init__(self, msisdn: str) -> None:
        self.msisdn = msisdn
        self.password_digest: str | None = None
        self.failures = 0
        self.locked_until: datetime | None = None
        self.notify_via: list[str] = []
        self.sessions: list[str] = []

    @staticmethod
    def id_for(msisdn: str) -> UUID:
        return stable_id("login", msisdn)

    @classmethod
    def open(cls, msisdn: str) -> Login:
        return cls._create(cls.Opened, id=cls.id_for(msisdn), msisdn=msisdn)

    def must_not_be_locked(self, now: datetime) -> None:
        if self.locked_until is not None and now < self.locked_until:
            raise TooManyRequests(
                "too many failed attempts; wait before trying again",
                seconds_until(self.locked_until, now),
                field="msisdn",
            )

    def fail(
        self,
        method: str,
        reason: str,
        *,
        known: bool,
        policy: DelayPolicy,
        now: datetime,
        client: Client,
        request_id: str | None = None,
    ) -> None:
        failures = self.failures + 1
        self.trigger_event(
            self.Failed,
            msisdn=self.msisdn,
            method=method,
            reason=reason,
            known=known,
            failures=failures,
            locked_until=policy.locked_until(failures, now),
            at=now,
            channel=client.channel,
            ip=client.ip,
            request_id=request_id,
        )

    def succeed(
        self,
        method: str,
        session: Any,
        *,
        now: datetime,
        client: Client,
    ) -> None:
        notify = self.notify_via if session.kind == "subscriber" else []
        self.trigger_event(
            self.Succeeded,
            msisdn=self.msisdn,
            subject_id=session.subject_id,
            kind=session.kind,
            client_id=session.client_id,
            method=method,
            session_id=session.session_id,
            remember_me=session.remember_me,
            notify_via=list(notify),
            at=now,
            channel=client.channel,
            ip=client.ip,
        )

    def set_password(
        self, digest: str, how: str, ended: list[str], *, now: datetime, client: Client
    ) -> None:
        self.trigger_event(
            self.PasswordSet,
            msisdn=self.msisdn,
            digest=digest,
            how=how,
            sessions_ended=ended,
            at=now,
            channel=client.channel,
        )

    def rehash(self, digest: str) -> None:
        self.trigger_event(self.PasswordRehashed, digest=digest)

    def choose_notices(self, notify_via: list[str], now: datetime) -> None:
        chosen = [n for n in NOTICES if n in notify_via]
        if chosen != self.notify_via:
            self.trigger_event(self.NoticesChosen, notify_via=chosen, at=now)

    def close_session(self, session_id: str) -> None:
        if session_id in self.sessions:
            self.trigger_event(self.SessionClosed, session_id=session_id)
