"""Network login: a request from the operator's own network names its number (header
enrichment by a trusted proxy); the phone is asked by USSD push to confirm ("press 1"),
its answer arrives on an internal callback, and only then may the login complete, once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from uuid import UUID

from kabinet.domain import Conflict, KabinetAggregate, NotFound
from services.auth.domain import Client, SignInFailed

CONFIRM = "1"


class NetworkLogin(KabinetAggregate):
    class Requested(KabinetAggregate.Created):
        msisdn: str
        at: datetime
        expires_at: datetime
        channel: str
        ip: str | None
        device: str | None

    class Answered(KabinetAggregate.Event):
        msisdn: str
        confirmed: bool
        at: datetime

        def apply(self, login: NetworkLogin) -> None:
            login.status = "confirmed" if self.confirmed else "declined"

    class Completed(KabinetAggregate.Event):
        session_id: str
        at: datetime

        def apply(self, login: NetworkLogin) -> None:
            login.status = "completed"

    def __init__(
        self,
        msisdn: str,
        at: datetime,
        expires_at: datetime,
        channel: str,
        ip: str | None,
        device: str | None,
    ) -> None:
        self.msisdn = msisdn
        self.requested_at = at
        self.expires_at = expires_at
        self.channel = channel
        self.ip = ip
        self.device = device
        self.status = "pending"

    @property
    def request_id(self) -> str:
        return self.id.hex

    @classmethod
    def request(cls, msisdn: str, ttl: int, now: datetime, client: Client) -> NetworkLogin:
        return cls._create(
            cls.Requested,
            id=uuid.uuid4(),
            msisdn=msisdn,
            at=now,
            expires_at=now + timedelta(seconds=ttl),
            channel=client.channel,
            ip=client.ip,
            device=client.device,
        )

    @staticmethod
    def id_of(request_id: str) -> UUID:
        try:
            return UUID(hex=request_id)
        except ValueError:
            raise NotFound("no such network login", field="request_id") from None

    def answer(self, msisdn: str, answer: str, now: datetime) -> None:
        """The phone's answer to the USSD push; only the pushed number may answer."""
        if msisdn != self.msisdn:
            raise NotFound("no such network login", field="request_id")
        if self.status != "pending" or now >= self.expires_at:
            raise Conflict("this network login is no longer waiting", field="request_id")
        self.trigger_event(
            self.Answered, msisdn=self.msisdn, confirmed=answer.strip() == CONFIRM, at=now
        )

    def ready(self, msisdn: str, now: datetime) -> bool:
        """True once confirmed; False while waiting; SignInFailed when it cannot complete."""
        if msisdn != self.msisdn:
            raise SignInFailed("network login failed", field="request_id")
        if self.status == "pending" and now < self.expires_at:
            return False
        if self.status != "confirmed" or now >= self.expires_at:
            raise SignInFailed("network login was not confirmed", field="request_id")
        return True

    def complete(self, session_id: str, now: datetime) -> None:
        self.trigger_event(self.Completed, session_id=session_id, at=now)
