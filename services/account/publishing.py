"""Account's domain events → its public events: the table the outbox relay maps by.

Fields named alike on both sides are copied (the change's author among them); an
activation names its author `activated_by`, a profile update lays out what changed, a
tariff change takes effect `at` its instant. The PUK's hash stays in account's own
store; no public event carries it. Account has no internal events.
"""

from __future__ import annotations

from typing import Any

from contracts import account as public
from kabinet.publishing import Publishing, Rule
from services.account.domain import Subscriber


def _option_ids(event: Subscriber.Activated) -> list[str]:
    """Activations stored before options were chosen at activation carry none."""
    return getattr(event, "option_ids", None) or []


def _changed(event: Subscriber.ProfileUpdated) -> dict[str, Any]:
    return dict(event.changed)


to_public = Publishing(
    "account",
    {
        Subscriber.Activated: Rule(
            public.SubscriberActivated,
            rename={"activated_by": "actor"},
            compute={"option_ids": _option_ids},
        ),
        Subscriber.ProfileUpdated: Rule(
            public.ProfileUpdated,
            expand=_changed,
            compute={"changed": lambda e: sorted(e.changed)},
        ),
        Subscriber.TariffChanged: Rule(public.TariffChanged, rename={"effective_from": "at"}),
        Subscriber.OptionToggled: Rule(public.OptionToggled),
        Subscriber.Suspended: Rule(public.ServiceSuspended),
        Subscriber.Resumed: Rule(public.ServiceResumed),
        Subscriber.NumberBlacklisted: Rule(public.BlacklistNumberAdded),
        Subscriber.NumberUnblacklisted: Rule(public.BlacklistNumberRemoved),
        Subscriber.SubscriptionAdded: Rule(public.SubscriptionAdded),
        Subscriber.SubscriptionCancelled: Rule(public.SubscriptionCancelled),
        Subscriber.QuestionAsked: Rule(public.SupportQuestionAsked),
        Subscriber.QuestionAnswered: Rule(public.SupportQuestionAnswered),
    },
    internal=(),
)
"""The relay's mapper of account (`kabinet.relay.EventMapper`)."""
