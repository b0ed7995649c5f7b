"""What every change to a subscriber shares: who made it, when, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kabinet.domain import Conflict, KabinetAggregate, KabinetError


class AccountError(KabinetError):
    pass


class AlreadyActivated(AccountError):
    status = 409


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


class Changes:
    """Helpers of the subscriber aggregate, shared by its parts."""

    msisdn: str
    status: str
    suspension: dict[str, str] | None

    def _change(self, event_class: Any, who: Who, at: datetime, **fields: Any) -> None:
        self.trigger_event(  # type: ignore[attr-defined]
            event_class, msisdn=self.msisdn, **who.fields(), at=at, **fields
        )

    def _must_be_active(self, what: str) -> None:
        if self.status != "active":
            reason = (self.suspension or {}).get("reason", "")
            raise Conflict(
                f"service on {self.msisdn} is suspended ({reason}): {what} is not possible "
                "until it is resumed",
                field="status",
            )
