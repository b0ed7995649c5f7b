"""The subscriber: who owns the number, where they live, their tariff and options, status.

Every change records who made it (`actor`, `actor_id`, `channel`) and when by our clock
(`at`), so the subscriber's event history is their audit log. Catalog facts reach the
aggregate as `Offer`s. Its events and commands are all here; each command checks the
business rules of services/account/rules.py before it triggers any event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from kabinet.domain import KabinetAggregate, stable_id
from services.account import rules
from services.account.changes import AccountError, AlreadyActivated, Change, Who
from services.account.offers import Offer

__all__ = ["STAFF", "AccountError", "AlreadyActivated", "Subscriber", "Who"]


STAFF = Who("staff", None, "ops")


class Subscriber(KabinetAggregate):
    """One number's subscriber; state: profile, tariff, options, status, blacklist,
    content subscriptions and support questions."""

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

    class NumberBlacklisted(Change):
        number: str
        region: str
        daily_fee_kopecks: int
        add_fee_kopecks: int
        numbers_listed: int

        def apply(self, s: Subscriber) -> None:
            s.blacklist.append(self.number)

    class NumberUnblacklisted(Change):
        number: str
        region: str
        daily_fee_kopecks: int
        numbers_listed: int

        def apply(self, s: Subscriber) -> None:
            s.blacklist.remove(self.number)

    class SubscriptionAdded(Change):
        subscription_id: str
        provider: str
        title: str
        fee_kopecks: int
        fee_period: str | None

        def apply(self, s: Subscriber) -> None:
            s.subscriptions[self.subscription_id] = {
                "id": self.subscription_id,
                "provider": self.provider,
                "title": self.title,
                "fee_kopecks": self.fee_kopecks,
                "fee_period": self.fee_period,
                "since": self.at.isoformat(),
            }

    class SubscriptionCancelled(Change):
        subscription_id: str
        provider: str
        title: str
        fee_kopecks: int
        fee_period: str | None

        def apply(self, s: Subscriber) -> None:
            del s.subscriptions[self.subscription_id]

    class QuestionAsked(Change):
        question_id: str
        topic: str
        text: str

        def apply(self, s: Subscriber) -> None:
            s.questions[self.question_id] = {
                "id": self.question_id,
                "topic": self.topic,
                "text": self.text,
                "asked_at": self.at.isoformat(),
                "status": "open",
                "answer": None,
                "answered_at": None,
            }

    class QuestionAnswered(Change):
        question_id: str
        answer: str
        asked_at: datetime

        def apply(self, s: Subscriber) -> None:
            question = s.questions[self.question_id]
            question.update(status="answered", answer=self.answer, answered_at=self.at.isoformat())

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
        self.blacklist: list[str] = []
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.questions: dict[str, dict[str, Any]] = {}

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
        return cls._create(
            cls.Activated,
            id=cls.id_for(msisdn),
            msisdn=msisdn,
            owner_name=rules.name_given(owner_name),
            region=region,
            tariff_id=tariff_id,
            email=email,
            actor=actor,
            iccid=iccid,
            puk_hash=puk_hash,
            option_ids=list(option_ids or []),
        )

    def _change(self, event_class: Any, who: Who, at: datetime, **fields: Any) -> None:
        self.trigger_event(event_class, msisdn=self.msisdn, **who.fields(), at=at, **fields)

    def update_profile(self, changes: dict[str, Any], who: Who, at: datetime) -> bool:
        changed = rules.profile_changes(self, changes, who)
        if changed:
            self._change(self.ProfileUpdated, who, at, changed=changed)
        return bool(changed)

    def change_tariff(
        self, target: Offer, who: Who, at: datetime, options: dict[str, Offer]
    ) -> None:
        rules.tariff_open(self, target, at, options)
        fee = target.price("change_fee", self.region, at)
        self._change(
            self.TariffChanged,
            who,
            at,
            from_tariff_id=self.tariff_id,
            to_tariff_id=target.id,
            fee_kopecks=fee,
        )

    def connect_option(
        self, option: Offer, who: Who, at: datetime, options: dict[str, Offer]
    ) -> bool:
        if option.id in self.options:
            return False
        rules.option_connectable(self, option, at, options)
        self._connect(option.id, option, who, at, "connecting a paid option")
        return True

    def _connect(self, option_id: str, option: Offer, who: Who, at: datetime, what: str) -> None:
        """Connect `option` as `option_id`; a paid one only while service is active."""
        fee = option.price("connect_fee", self.region, at)
        recurring = option.price("recurring_fee", self.region, at)
        if fee or recurring:
            rules.must_be_active(self, what)
        self._change(
            self.OptionToggled,
            who,
            at,
            option_id=option_id,
            enabled=True,
            fee_kopecks=fee,
            recurring_fee_kopecks=recurring,
            fee_period=option.fee_period,
        )

    def disconnect_option(
        self, option_id: str, who: Who, at: datetime, options: dict[str, Offer]
    ) -> bool:
        if option_id not in self.options:
            return False
        rules.option_disconnectable(self, option_id, options)
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
        rules.may_suspend(self, reason, who)
        self._change(self.Suspended, who, at, reason=reason)

    def resume(self, who: Who, at: datetime) -> None:
        suspension = rules.suspension_to_lift(self, who)
        since = datetime.fromisoformat(suspension["since"])
        self._change(self.Resumed, who, at, reason=suspension["reason"], suspended_at=since)

    def add_to_blacklist(self, number: str, service: Offer, who: Who, at: datetime) -> None:
        """Blacklist a number; the first one connects the (free) service."""
        rules.blacklistable(self, number)
        if rules.BLACKLIST_OPTION not in self.options:
            self._connect(rules.BLACKLIST_OPTION, service, who, at, "the blacklist")
        self._change(
            self.NumberBlacklisted,
            who,
            at,
            number=number,
            region=self.region,
            daily_fee_kopecks=service.price("recurring_fee", self.region, at),
            add_fee_kopecks=service.price("add_fee", self.region, at),
            numbers_listed=len(self.blacklist) + 1,
        )

    def remove_from_blacklist(self, number: str, service: Offer, who: Who, at: datetime) -> None:
        rules.blacklisted(self, number)
        left = len(self.blacklist) - 1
        daily = service.price("recurring_fee", self.region, at) if left else 0
        self._change(
            self.NumberUnblacklisted,
            who,
            at,
            number=number,
            region=self.region,
            daily_fee_kopecks=daily,
            numbers_listed=left,
        )

    def add_subscription(self, content: Offer, who: Who, at: datetime) -> None:
        rules.content_addable(self, content, who, at)
        self._change(
            self.SubscriptionAdded,
            who,
            at,
            subscription_id=content.id,
            provider=content.details.get("provider") or "",
            title=content.name,
            fee_kopecks=content.price("recurring_fee", self.region, at),
            fee_period=content.fee_period,
        )

    def cancel_subscription(self, subscription_id: str, who: Who, at: datetime) -> None:
        found = rules.subscription(self, subscription_id)
        fields = {k: found[k] for k in ("provider", "title", "fee_kopecks", "fee_period")}
        self._change(self.SubscriptionCancelled, who, at, subscription_id=subscription_id, **fields)

    def ask(self, question_id: str, topic: str, text: str, who: Who, at: datetime) -> None:
        rules.question_text(text)
        self._change(self.QuestionAsked, who, at, question_id=question_id, topic=topic, text=text)

    def answer(self, question_id: str, text: str, who: Who, at: datetime) -> None:
        question = rules.open_question(self, question_id, text, who)
        asked_at = datetime.fromisoformat(question["asked_at"])
        self._change(
            self.QuestionAnswered, who, at, question_id=question_id, answer=text, asked_at=asked_at
        )
