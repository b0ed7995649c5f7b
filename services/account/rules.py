"""The subscriber's business rules: plain checks the aggregate calls before it changes.

Each function raises the refusal a command answers (its message is shown to the caller,
its `field` names the culprit) or returns what the command needs; none triggers events.
The aggregate (services/account/domain.py) decides which rules a command obeys.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from kabinet.domain import Conflict, NotFound
from services.account.changes import AccountError, StaffOnly, Who
from services.account.offers import Offer

if TYPE_CHECKING:
    from services.account.domain import Subscriber

BLACKLIST_OPTION = "blacklist"
BLACKLIST_LIMIT = 100


def staff_only(who: Who, what: str) -> None:
    if who.actor not in ("staff", "system"):
        raise StaffOnly(f"only the operator's staff {what}", field="Authorization")


def must_be_active(s: Subscriber, what: str) -> None:
    if s.status != "active":
        reason = (s.suspension or {}).get("reason", "")
        raise Conflict(
            f"service on {s.msisdn} is suspended ({reason}): {what} is not possible "
            "until it is resumed",
            field="status",
        )


def name_given(owner_name: str) -> str:
    if not owner_name.strip():
        raise AccountError("owner's full name is required", field="owner_name")
    return owner_name.strip()


def profile_changes(s: Subscriber, changes: dict[str, Any], who: Who) -> dict[str, Any]:
    """The fields that differ; the owner's name changes only through staff."""
    if "owner_name" in changes and who.actor != "staff":
        raise AccountError(
            "the owner's name changes only through the operator's staff", field="owner_name"
        )
    return {k: v for k, v in changes.items() if getattr(s, k) != v}


def tariff_open(s: Subscriber, target: Offer, at: datetime, options: dict[str, Offer]) -> None:
    """The target tariff is a change, open for choice, offered here, and fits the options."""
    must_be_active(s, "a tariff change")
    if target.id == s.tariff_id:
        raise Conflict(f"the number is already on tariff '{target.id}'", field="tariff_id")
    if target.retired(at) or target.valid_from > at:
        raise AccountError(
            f"tariff '{target.id}' is not open for choice (retired)", field="tariff_id"
        )
    if s.region not in target.regions:
        raise AccountError(
            f"tariff '{target.id}' is not offered in region '{s.region}'", field="tariff_id"
        )
    for option_id in s.options:
        option = options.get(option_id)
        if option is not None and option.tariff_ids and target.id not in option.tariff_ids:
            raise Conflict(
                f"option '{option_id}' does not work with tariff '{target.id}'; "
                "disconnect it first",
                field="tariff_id",
            )


def option_connectable(
    s: Subscriber, option: Offer, at: datetime, options: dict[str, Offer]
) -> None:
    """A subscriber's option: offered here, for this tariff, its needs met, no exclusion."""
    if option.kind == "content":
        raise AccountError(
            f"'{option.id}' is a content subscription; its provider adds it", field="option_id"
        )
    if not option.offered(s.region, at):
        raise AccountError(
            f"option '{option.id}' is not offered in region '{s.region}'", field="option_id"
        )
    if option.tariff_ids and s.tariff_id not in option.tariff_ids:
        raise AccountError(
            f"option '{option.id}' does not work with tariff '{s.tariff_id}'", field="option_id"
        )
    for needed in option.requires:
        if needed not in s.options:
            raise AccountError(
                f"option '{option.id}' needs option '{needed}' connected first", field="option_id"
            )
    for other in s.options:
        theirs = options.get(other)
        if other in option.excludes or (theirs is not None and option.id in theirs.excludes):
            raise Conflict(
                f"option '{option.id}' cannot be connected together with '{other}'",
                field="option_id",
            )


def option_disconnectable(s: Subscriber, option_id: str, options: dict[str, Offer]) -> None:
    """No connected option needs it; the blacklist goes only once it is empty."""
    for other in s.options:
        theirs = options.get(other)
        if theirs is not None and option_id in theirs.requires:
            raise Conflict(
                f"option '{other}' needs '{option_id}'; disconnect '{other}' first",
                field="option_id",
            )
    if option_id == BLACKLIST_OPTION and s.blacklist:
        raise Conflict(
            "remove the numbers from the blacklist before disconnecting it", field="option_id"
        )


def may_suspend(s: Subscriber, reason: str, who: Who) -> None:
    if reason == "staff" and who.actor != "staff":
        raise AccountError("only the operator's staff suspend for this reason", field="reason")
    if s.status == "suspended":
        raise Conflict("service is already suspended", field="status")


def suspension_to_lift(s: Subscriber, who: Who) -> dict[str, str]:
    """The suspension this caller may lift: debt ends with a top-up, staff's with staff."""
    if s.suspension is None:
        raise Conflict("service is not suspended", field="status")
    reason = s.suspension["reason"]
    if reason == "debt" and who.actor != "system":
        raise Conflict("a suspension for debt ends with a top-up", field="status")
    if reason == "staff" and who.actor != "staff":
        raise Conflict("this suspension is lifted by the operator's staff", field="status")
    return s.suspension


def blacklistable(s: Subscriber, number: str) -> None:
    if number == s.msisdn:
        raise AccountError("you cannot blacklist your own number", field="number")
    if number in s.blacklist:
        raise Conflict(f"number {number} is already on the blacklist", field="number")
    if len(s.blacklist) >= BLACKLIST_LIMIT:
        raise Conflict(f"the blacklist holds at most {BLACKLIST_LIMIT} numbers", field="number")
    must_be_active(s, "adding a number to the blacklist")


def blacklisted(s: Subscriber, number: str) -> None:
    if number not in s.blacklist:
        raise NotFound(f"number {number} is not on the blacklist", field="number")


def content_addable(s: Subscriber, content: Offer, who: Who, at: datetime) -> None:
    staff_only(who, "or the content provider add subscriptions")
    if content.kind != "content":
        raise AccountError(f"'{content.id}' is not a content subscription", field="option_id")
    if content.id in s.subscriptions:
        raise Conflict(f"subscription '{content.id}' is already active", field="option_id")
    if not content.offered(s.region, at):
        raise AccountError(
            f"'{content.id}' is not offered in region '{s.region}'", field="option_id"
        )


def subscription(s: Subscriber, subscription_id: str) -> dict[str, Any]:
    found = s.subscriptions.get(subscription_id)
    if found is None:
        raise NotFound(f"no subscription '{subscription_id}'", field="subscription_id")
    return found


def question_text(text: str) -> None:
    if not text.strip():
        raise AccountError("the question is empty", field="text")


def open_question(s: Subscriber, question_id: str, text: str, who: Who) -> dict[str, Any]:
    """The open question staff answer, with a non-empty answer."""
    staff_only(who, "answer support questions")
    question = s.questions.get(question_id)
    if question is None:
        raise NotFound(f"no question '{question_id}'", field="question_id")
    if question["status"] == "answered":
        raise Conflict("this question is already answered", field="question_id")
    if not text.strip():
        raise AccountError("the answer is empty", field="text")
    return question
