"""What every change to a subscriber shares: who made it, when, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kabinet.domain import KabinetAggregate, KabinetError


class AccountError(KabinetError):
    pass


class AlreadyActivated(AccountError):
    status = 409


class StaffOnly(AccountError):
    status = 403


@dataclass(frozen=True)
class Who:
    """Who makes a change (subscriber, corporate_admin, staff, system) and through what."""

    actor: str = "subscriber"
    actor_id: str | None = None
    channel: str = "web"

    def fields(self) -> dict[str, Any]:
        return {"actor": self.actor, "actor_id": self.actor_id, "channel": self.channel}


class Change(KabinetAggregate.Event):
    """A change with its author and the instant by our clock."""

    msisdn: str
    actor: str
    actor_id: str | None
    channel: str
    at: datetime
