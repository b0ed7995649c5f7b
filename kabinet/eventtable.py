"""Tables keyed by a domain event's exact class, with the events that map to nothing.

A service says in one table what each of its domain events becomes (a public event,
an item of a history), and names, explicitly, the events that become nothing. Looking
an event up is one dict lookup on its exact class (the relay maps every stored event);
an event the table neither maps nor names raises `UnlistedEvent` instead of vanishing.
`domain_events` lists the event classes of aggregates, so each service has a test that
fails when an event is added to an aggregate and not to its tables:

    assert to_public.unlisted(domain_events(Tariff, Option)) == []

A history (payments' operations, account's events in plain words) is such a table of
functions, each making one item of one event:

    OPERATIONS: EventTable[Callable[[Any], Operation]] = EventTable(
        "payments operations",
        {Balance.PaymentPosted: _posted, Balance.ChargeApplied: _charged, ...},
        nothing={Balance.Opened, Balance.AlertLevelSet, ...},
    )
    make = OPERATIONS.lookup(event)  # None: not an operation
    item = None if make is None else make(event)

See docs/decisions.md (41).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

from eventsourcing.domain import Aggregate, CanInitAggregate

E = TypeVar("E")


def event_name(event_class: type[Any]) -> str:
    """`module:Qualified.Name`, the way eventsourcing names the class in stored topics."""
    return f"{event_class.__module__}:{event_class.__qualname__}"


class UnlistedEvent(LookupError):
    """A domain event that a table neither maps nor names among those that map to nothing."""


class EventTable(Generic[E]):
    """Each listed domain event class → its entry; the `nothing` classes → None."""

    def __init__(
        self, name: str, entries: Mapping[type[Any], E], nothing: Iterable[type[Any]] = ()
    ) -> None:
        nothing = frozenset(nothing)
        both = sorted(event_name(c) for c in nothing & set(entries))
        if both:
            raise ValueError(f"{name}: both mapped and mapped to nothing: {', '.join(both)}")
        self.name = name
        self.entries = dict(entries)
        self.nothing = nothing
        self._lookup: dict[type[Any], E | None] = {**self.entries, **dict.fromkeys(nothing)}

    def lookup(self, event: Any) -> E | None:
        """The entry of the event's exact class; None for a class of `nothing`."""
        try:
            return self._lookup[type(event)]
        except KeyError:
            raise UnlistedEvent(
                f"{self.name}: no entry for {event_name(type(event))}; map it, or name it"
                " among the events that map to nothing"
            ) from None

    def unlisted(self, event_classes: Iterable[type[Any]]) -> list[str]:
        """The names of those classes the table neither maps nor names (a test wants [])."""
        return sorted(event_name(c) for c in event_classes if c not in self._lookup)


def domain_events(*aggregates: type[Aggregate]) -> list[type[Any]]:
    """Every event class these aggregates can store: their nested event classes, less
    the bases every aggregate class has (`Event`, and `Created` when the aggregate has a
    creation event of its own) and `Snapshot` (not in the notification log).

    Pass the aggregate classes a service stores, not its modules: a base class or part
    of an aggregate has nested events of its own (eventsourcing redefines each of them
    on the subclass, under the subclass's name), and those are never stored."""
    found: dict[str, type[Any]] = {}
    for aggregate in aggregates:
        created: type[Any] = aggregate.Created
        nested: list[type[Any]] = [
            value
            for name in dir(aggregate)
            if isinstance(value := getattr(aggregate, name), type)
            and issubclass(value, aggregate.Event)
            and value is not aggregate.Event
        ]
        created_of_its_own = any(
            issubclass(c, CanInitAggregate) and c is not created for c in nested
        )
        for event_class in nested:
            if event_class is created and created_of_its_own:
                continue
            found[event_name(event_class)] = event_class
    return [found[name] for name in sorted(found)]
