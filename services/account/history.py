"""The subscriber's history in plain words, in their notification language."""

from __future__ import annotations

from typing import Any

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


def describe(event: Any, lang: str) -> str:  # noqa: PLR0911
    ru = lang == "ru"
    if isinstance(event, Subscriber.Activated):
        return (
            f"Номер подключён на тарифе «{event.tariff_id}», регион {event.region}"
            if ru
            else f"Number activated on tariff '{event.tariff_id}', region {event.region}"
        )
    if isinstance(event, Subscriber.ProfileUpdated):
        fields = ", ".join(f"{k}: {v}" for k, v in sorted(event.changed.items()))
        return f"Профиль изменён ({fields})" if ru else f"Profile changed ({fields})"
    if isinstance(event, Subscriber.TariffChanged):
        fee = _rub(event.fee_kopecks)
        return (
            f"Тариф сменён: «{event.from_tariff_id}» → «{event.to_tariff_id}», плата за смену {fee}"
            if ru
            else f"Tariff changed from '{event.from_tariff_id}' to '{event.to_tariff_id}', "
            f"switch fee {fee}"
        )
    if isinstance(event, Subscriber.OptionToggled):
        if event.enabled:
            return (
                f"Подключена опция «{event.option_id}», подключение {_rub(event.fee_kopecks)}"
                if ru
                else f"Option '{event.option_id}' connected, fee {_rub(event.fee_kopecks)}"
            )
        return (
            f"Отключена опция «{event.option_id}»"
            if ru
            else f"Option '{event.option_id}' disconnected"
        )
    if isinstance(event, Subscriber.Suspended):
        reason = REASONS[lang].get(event.reason, event.reason)
        return f"Обслуживание приостановлено ({reason})" if ru else f"Service suspended ({reason})"
    if isinstance(event, Subscriber.Resumed):
        return "Обслуживание возобновлено" if ru else "Service resumed"
    return _more(event, ru)


def _more(event: Any, ru: bool) -> str:  # noqa: PLR0911
    if isinstance(event, Subscriber.NumberBlacklisted):
        return (
            f"Номер {event.number} добавлен в чёрный список ({_rub(event.add_fee_kopecks)}; "
            f"в день {_rub(event.daily_fee_kopecks)})"
            if ru
            else f"Number {event.number} blacklisted (fee {_rub(event.add_fee_kopecks)}; "
            f"daily {_rub(event.daily_fee_kopecks)})"
        )
    if isinstance(event, Subscriber.NumberUnblacklisted):
        return (
            f"Номер {event.number} удалён из чёрного списка"
            if ru
            else f"Number {event.number} removed from the blacklist"
        )
    if isinstance(event, Subscriber.SubscriptionAdded):
        return (
            f"Подписка «{event.title}» ({event.provider}) добавлена"
            if ru
            else f"Subscription '{event.title}' ({event.provider}) added"
        )
    if isinstance(event, Subscriber.SubscriptionCancelled):
        return (
            f"Подписка «{event.title}» отменена"
            if ru
            else f"Subscription '{event.title}' cancelled"
        )
    if isinstance(event, Subscriber.QuestionAsked):
        return (
            f"Задан вопрос в поддержку: {event.topic}"
            if ru
            else f"Support question asked: {event.topic}"
        )
    if isinstance(event, Subscriber.QuestionAnswered):
        return "Поддержка ответила на вопрос" if ru else "Support answered a question"
    return type(event).__name__


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
