"""The subscriber: who owns the number, where they live, their tariff and options, status.

Every change records who made it (`actor`, `actor_id`, `channel`) and when by our clock
(`at`), so the subscriber's event history is their audit log. Catalog facts reach the
aggregate as `Offer`s; the invariants are checked here, before any event is triggered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from kabinet.domain import Conflict, KabinetAggregate, stable_id
from services.account.changes import AccountError, AlreadyActivated, Change, Changes, Who
from services.account.offers import Offer
from services.account.parts import BlacklistAndContent, Support

__all__ = ["STAFF", "AccountError", "AlreadyActivated", "Subscriber", "Who"]


STAFF = Who("staff", None, "ops")


class Subscriber(BlacklistAndContent, Support, Changes, KabinetAggregate):
    class Activated(KabinetAggregate.Created):
        msisdn: str
        owner_name: str
        region: str
        tariff_id: str
        email: str | None
        actor: str
        iccid: str | None = None
        puk_hash: str | None = None
        option_ids: list[str] | None = None

    class ProfileUpdated(Change):
        changed: dict[str, Any]

        def apply(self, s: Subscriber) -> None:
            for name, value in self.changed.items():
                setattr(s, name, value)

    class TariffChanged(Change):
        from_tariff_id: str
        to_tariff_id: str
        fee_kopecks: int

        def apply(self, s: Subscriber) -> None:
            s.tariff_id = self.to_tariff_id

    class OptionToggled(Change):
        option_id: str
        enabled: bool
        fee_kopecks: int
        recurring_fee_kopecks: int
        fee_period: str | None

        def apply(self, s: Subscriber) -> None:
            if self.enabled:
                s.options.append(self.option_id)
            else:
                s.options.remove(self.option_id)

    class Suspended(Change):
        reason: str

        def apply(self, s: Subscriber) -> None:
            s.status = "suspended"
            s.suspension = {"reason": self.reason, "since": self.at.isoformat()}

    class Resumed(Change):
        reason: str
        suspended_at: datetime

        def apply(self, s: Subscriber) -> None:
            s.status = "active"
            s.suspension = None

    def __init__(
        self,
        msisdn: str,
        owner_name: str,
        region: str,
        tariff_id: str,
        email: str | None,
        actor: str,
        iccid: str | None = None,
        puk_hash: str | None = None,
        option_ids: list[str] | None = None,
    ) -> None:
        self.msisdn = msisdn
        self.owner_name = owner_name
        self.region = region
        self.tariff_id = tariff_id
        self.email = email
        self.language = "ru"
        self.iccid = iccid
        self.puk_hash = puk_hash
        self.status = "active"
        self.suspension: dict[str, str] | None = None
        self.options: list[str] = list(option_ids or [])
        self._init_parts()

    @staticmethod
    def id_for(msisdn: str) -> UUID:
        return stable_id("subscriber", msisdn)

    @classmethod
    def activate(
        cls,
        msisdn: str,
        owner_name: str,
        region: str,
        tariff_id: str,
        email: str | None = None,
        actor: str = "staff",
        *,
        iccid: str | None = None,
        puk_hash: str | None = None,
        option_ids: list[str] | None = None,
    ) -> Subscriber:
        if not owner_name.strip():
            raise AccountError("owner's full name is required", field="owner_name")
        return cls._create(
            cls.Activated,
            id=cls.id_for(msisdn),
            msisdn=msisdn,
            owner_name=owner_name.strip(),
            region=region,
            tariff_id=tariff_id,
            email=email,
            actor=actor,
            iccid=iccid,
            puk_hash=puk_hash,
            option_ids=list(option_ids or []),
        )

    def update_profile(self, changes: dict[str, Any], who: Who, at: datetime) -> bool:
        if "owner_name" in changes and who.actor != "staff":
            raise AccountError(
                "the owner's name changes only through the operator's staff", field="owner_name"
            )
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not changed:
            return False
        self._change(self.ProfileUpdated, who, at, changed=changed)
        return True

    def change_tariff(
        self, target: Offer, who: Who, at: datetime, options: dict[str, Offer]
    ) -> None:
        self._must_be_active("a tariff change")
        if target.id == self.tariff_id:
            raise Conflict(f"the number is already on tariff '{target.id}'", field="tariff_id")
        if target.retired(at) or target.valid_from > at:
            raise AccountError(
                f"tariff '{target.id}' is not open for choice (retired)", field="tariff_id"
            )
        if self.region not in target.regions:
            raise AccountError(
                f"tariff '{target.id}' is not offered in region '{self.region}'",
                field="tariff_id",
            )
        for option_id in self.options:
            option = options.get(option_id)
            if option is not None and option.tariff_ids and target.id not in option.tariff_ids:
                raise Conflict(
                    f"option '{option_id}' does not work with tariff '{target.id}'; "
                    "disconnect it first",
                    field="tariff_id",
                )
        self._change(
            self.TariffChanged,
            who,
            at,
            from_tariff_id=self.tariff_id,
            to_tariff_id=target.id,
            fee_kopecks=target.price("change_fee", self.region, at),
        )

    def connect_option(
        self, option: Offer, who: Who, at: datetime, options: dict[str, Offer]
    ) -> bool:
        if option.id in self.options:
            return False
        if option.kind == "content":
            raise AccountError(
                f"'{option.id}' is a content subscription; its provider adds it",
                field="option_id",
            )
        if not option.offered(self.region, at):
            raise AccountError(
                f"option '{option.id}' is not offered in region '{self.region}'",
                field="option_id",
            )
        if option.tariff_ids and self.tariff_id not in option.tariff_ids:
            raise AccountError(
                f"option '{option.id}' does not work with tariff '{self.tariff_id}'",
                field="option_id",
            )
        for needed in option.requires:
            if needed not in self.options:
                raise AccountError(
                    f"option '{option.id}' needs option '{needed}' connected first",
                    field="option_id",
                )
        for other in self.options:
            theirs = options.get(other)
            if other in option.excludes or (theirs is not None and option.id in theirs.excludes):
                raise Conflict(
                    f"option '{option.id}' cannot be connected together with '{other}'",
                    field="option_id",
                )
        fee = option.price("connect_fee", self.region, at)
        recurring = option.price("recurring_fee", self.region, at)
        if fee or recurring:
            self._must_be_active("connecting a paid option")
        self._change(
            self.OptionToggled,
            who,
            at,
            option_id=option.id,
            enabled=True,
            fee_kopecks=fee,
            recurring_fee_kopecks=recurring,
            fee_period=option.fee_period,
        )
        return True

    def disconnect_option(
        self, option_id: str, who: Who, at: datetime, options: dict[str, Offer]
    ) -> bool:
        if option_id not in self.options:
            return False
        for other in self.options:
            theirs = options.get(other)
            if theirs is not None and option_id in theirs.requires:
                raise Conflict(
                    f"option '{other}' needs '{option_id}'; disconnect '{other}' first",
                    field="option_id",
                )
        if option_id == "blacklist" and self.blacklist:
            raise Conflict(
                "remove the numbers from the blacklist before disconnecting it", field="option_id"
            )
        self._change(
            self.OptionToggled,
            who,
            at,
            option_id=option_id,
            enabled=False,
            fee_kopecks=0,
            recurring_fee_kopecks=0,
            fee_period=None,
        )
        return True

    def suspend(self, reason: str, who: Who, at: datetime) -> None:
        if reason == "staff" and who.actor != "staff":
            raise AccountError("only the operator's staff suspend for this reason", field="reason")
        if self.status == "suspended":
            raise Conflict("service is already suspended", field="status")
        self._change(self.Suspended, who, at, reason=reason)

    def resume(self, who: Who, at: datetime) -> None:
        if self.suspension is None:
            raise Conflict("service is not suspended", field="status")
        reason = self.suspension["reason"]
        if reason == "debt" and who.actor != "system":
            raise Conflict("a suspension for debt ends with a top-up", field="status")
        if reason == "staff" and who.actor != "staff":
            raise Conflict("this suspension is lifted by the operator's staff", field="status")
        since = datetime.fromisoformat(self.suspension["since"])
        self._change(self.Resumed, who, at, reason=reason, suspended_at=since)
