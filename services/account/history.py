"""The subscriber's history in plain words, in their notification language.

One table (`DESCRIPTIONS`) gives each domain event its words; a test fails when an event
is added to the subscriber without them (see docs/decisions.md, 41).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kabinet.eventtable import EventTable
from kabinet.money import format_rub
from services.account.domain import Subscriber

WHO = {
    "ru": {
        "subscriber": "вы",
        "staff": "сотрудник оператора",
        "corporate_admin": "администратор компании",
        "system": "система",
    },
    "en": {
        "subscriber": "you",
        "staff": "operator staff",
        "corporate_admin": "company administrator",
        "system": "the system",
    },
}
REASONS = {
    "ru": {"lost": "утеря телефона", "debt": "долг", "staff": "решение оператора"},
    "en": {"lost": "lost phone", "debt": "debt", "staff": "operator's decision"},
}


def _rub(kopecks: int) -> str:
    return f"{format_rub(kopecks)} RUB"


def _activated(e: Any, lang: str) -> str:
    return (
        f"Номер подключён на тарифе «{e.tariff_id}», регион {e.region}"
        if lang == "ru"
        else f"Number activated on tariff '{e.tariff_id}', region {e.region}"
    )


def _profile(e: Any, lang: str) -> str:
    fields = ", ".join(f"{k}: {v}" for k, v in sorted(e.changed.items()))
    return f"Профиль изменён ({fields})" if lang == "ru" else f"Profile changed ({fields})"


def _tariff(e: Any, lang: str) -> str:
    fee = _rub(e.fee_kopecks)
    return (
        f"Тариф сменён: «{e.from_tariff_id}» → «{e.to_tariff_id}», плата за смену {fee}"
        if lang == "ru"
        else f"Tariff changed from '{e.from_tariff_id}' to '{e.to_tariff_id}', switch fee {fee}"
    )


def _option(e: Any, lang: str) -> str:
    ru = lang == "ru"
    if e.enabled:
        return (
            f"Подключена опция «{e.option_id}», подключение {_rub(e.fee_kopecks)}"
            if ru
            else f"Option '{e.option_id}' connected, fee {_rub(e.fee_kopecks)}"
        )
    return f"Отключена опция «{e.option_id}»" if ru else f"Option '{e.option_id}' disconnected"


def _suspended(e: Any, lang: str) -> str:
    reason = REASONS[lang].get(e.reason, e.reason)
    return (
        f"Обслуживание приостановлено ({reason})"
        if lang == "ru"
        else f"Service suspended ({reason})"
    )


def _resumed(e: Any, lang: str) -> str:
    return "Обслуживание возобновлено" if lang == "ru" else "Service resumed"


def _blacklisted(e: Any, lang: str) -> str:
    fee, daily = _rub(e.add_fee_kopecks), _rub(e.daily_fee_kopecks)
    return (
        f"Номер {e.number} добавлен в чёрный список ({fee}; в день {daily})"
        if lang == "ru"
        else f"Number {e.number} blacklisted (fee {fee}; daily {daily})"
    )


def _unblacklisted(e: Any, lang: str) -> str:
    return (
        f"Номер {e.number} удалён из чёрного списка"
        if lang == "ru"
        else f"Number {e.number} removed from the blacklist"
    )


def _subscribed(e: Any, lang: str) -> str:
    return (
        f"Подписка «{e.title}» ({e.provider}) добавлена"
        if lang == "ru"
        else f"Subscription '{e.title}' ({e.provider}) added"
    )


def _unsubscribed(e: Any, lang: str) -> str:
    return (
        f"Подписка «{e.title}» отменена" if lang == "ru" else f"Subscription '{e.title}' cancelled"
    )


def _asked(e: Any, lang: str) -> str:
    return (
        f"Задан вопрос в поддержку: {e.topic}"
        if lang == "ru"
        else f"Support question asked: {e.topic}"
    )


def _answered(e: Any, lang: str) -> str:
    return "Поддержка ответила на вопрос" if lang == "ru" else "Support answered a question"


DESCRIPTIONS: EventTable[Callable[[Any, str], str]] = EventTable(
    "account history",
    {
        Subscriber.Activated: _activated,
        Subscriber.ProfileUpdated: _profile,
        Subscriber.TariffChanged: _tariff,
        Subscriber.OptionToggled: _option,
        Subscriber.Suspended: _suspended,
        Subscriber.Resumed: _resumed,
        Subscriber.NumberBlacklisted: _blacklisted,
        Subscriber.NumberUnblacklisted: _unblacklisted,
        Subscriber.SubscriptionAdded: _subscribed,
        Subscriber.SubscriptionCancelled: _unsubscribed,
        Subscriber.QuestionAsked: _asked,
        Subscriber.QuestionAnswered: _answered,
    },
)
"""Each domain event → its words, in the language asked for ("ru" or "en")."""


def describe(event: Any, lang: str) -> str:
    """The event in plain words; every stored event has them (`DESCRIPTIONS`)."""
    words = DESCRIPTIONS.lookup(event)
    return type(event).__name__ if words is None else words(event, lang)


def history(events: list[Any], lang: str) -> list[dict[str, Any]]:
    lang = lang if lang in WHO else "ru"
    items = []
    for event in events:
        at = getattr(event, "at", None) or event.timestamp
        actor = getattr(event, "actor", "staff")
        items.append(
            {
                "at": at.isoformat(),
                "actor": actor,
                "who": WHO[lang].get(actor, actor),
                "event": type(event).__name__,
                "text": describe(event, lang),
            }
        )
    return items
