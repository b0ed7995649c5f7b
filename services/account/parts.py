"""Parts of the subscriber aggregate: blacklist, content subscriptions, support questions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kabinet.domain import Conflict, NotFound
from services.account.changes import AccountError, Change, Changes, Who
from services.account.offers import Offer

BLACKLIST_OPTION = "blacklist"
BLACKLIST_LIMIT = 100


class StaffOnly(AccountError):
    status = 403


def _staff_only(who: Who, what: str) -> None:
    if who.actor not in ("staff", "system"):
        raise StaffOnly(f"only the operator's staff {what}", field="Authorization")


class BlacklistAndContent(Changes):
    blacklist: list[str]
    subscriptions: dict[str, dict[str, Any]]
    options: list[str]
    region: str

    class NumberBlacklisted(Change):
        number: str
        region: str
        daily_fee_kopecks: int
        add_fee_kopecks: int
        numbers_listed: int

        def apply(self, s: Any) -> None:
            s.blacklist.append(self.number)

    class NumberUnblacklisted(Change):
        number: str
        region: str
        daily_fee_kopecks: int
        numbers_listed: int

        def apply(self, s: Any) -> None:
            s.blacklist.remove(self.number)

    class SubscriptionAdded(Change):
        subscription_id: str
        provider: str
        title: str
        fee_kopecks: int
        fee_period: str | None

        def apply(self, s: Any) -> None:
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

        def apply(self, s: Any) -> None:
            del s.subscriptions[self.subscription_id]

    def _init_parts(self) -> None:
        self.blacklist = []
        self.subscriptions = {}
        self.questions: dict[str, dict[str, Any]] = {}

    def add_to_blacklist(self, number: str, service: Offer, who: Who, at: datetime) -> None:
        """Blacklist a number; the first one connects the (free) service."""
        if number == self.msisdn:
            raise AccountError("you cannot blacklist your own number", field="number")
        if number in self.blacklist:
            raise Conflict(f"number {number} is already on the blacklist", field="number")
        if len(self.blacklist) >= BLACKLIST_LIMIT:
            raise Conflict(f"the blacklist holds at most {BLACKLIST_LIMIT} numbers", field="number")
        self._must_be_active("adding a number to the blacklist")
        daily = service.price("recurring_fee", self.region, at)
        if BLACKLIST_OPTION not in self.options:
            self._change(
                self.OptionToggled,  # type: ignore[attr-defined]
                who,
                at,
                option_id=BLACKLIST_OPTION,
                enabled=True,
                fee_kopecks=service.price("connect_fee", self.region, at),
                recurring_fee_kopecks=daily,
                fee_period=service.fee_period,
            )
        self._change(
            self.NumberBlacklisted,
            who,
            at,
            number=number,
            region=self.region,
            daily_fee_kopecks=daily,
            add_fee_kopecks=service.price("add_fee", self.region, at),
            numbers_listed=len(self.blacklist) + 1,
        )

    def remove_from_blacklist(self, number: str, service: Offer, who: Who, at: datetime) -> None:
        if number not in self.blacklist:
            raise NotFound(f"number {number} is not on the blacklist", field="number")
        left = len(self.blacklist) - 1
        self._change(
            self.NumberUnblacklisted,
            who,
            at,
            number=number,
            region=self.region,
            daily_fee_kopecks=service.price("recurring_fee", self.region, at) if left else 0,
            numbers_listed=left,
        )

    def add_subscription(self, content: Offer, who: Who, at: datetime) -> None:
        _staff_only(who, "or the content provider add subscriptions")
        if content.kind != "content":
            raise AccountError(f"'{content.id}' is not a content subscription", field="option_id")
        if content.id in self.subscriptions:
            raise Conflict(f"subscription '{content.id}' is already active", field="option_id")
        if not content.offered(self.region, at):
            raise AccountError(
                f"'{content.id}' is not offered in region '{self.region}'", field="option_id"
            )
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
        found = self.subscriptions.get(subscription_id)
        if found is None:
            raise NotFound(f"no subscription '{subscription_id}'", field="subscription_id")
        self._change(
            self.SubscriptionCancelled,
            who,
            at,
            subscription_id=subscription_id,
            provider=found["provider"],
            title=found["title"],
            fee_kopecks=found["fee_kopecks"],
            fee_period=found["fee_period"],
        )


class Support(Changes):
    questions: dict[str, dict[str, Any]]

    class QuestionAsked(Change):
        question_id: str
        topic: str
        text: str

        def apply(self, s: Any) -> None:
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

        def apply(self, s: Any) -> None:
            question = s.questions[self.question_id]
            question.update(status="answered", answer=self.answer, answered_at=self.at.isoformat())

    def ask(self, question_id: str, topic: str, text: str, who: Who, at: datetime) -> None:
        if not text.strip():
            raise AccountError("the question is empty", field="text")
        self._change(self.QuestionAsked, who, at, question_id=question_id, topic=topic, text=text)

    def answer(self, question_id: str, text: str, who: Who, at: datetime) -> None:
        _staff_only(who, "answer support questions")
        question = self.questions.get(question_id)
        if question is None:
            raise NotFound(f"no question '{question_id}'", field="question_id")
        if question["status"] == "answered":
            raise Conflict("this question is already answered", field="question_id")
        if not text.strip():
            raise AccountError("the answer is empty", field="text")
        asked_at = datetime.fromisoformat(question["asked_at"])
        self._change(
            self.QuestionAnswered, who, at, question_id=question_id, answer=text, asked_at=asked_at
        )
