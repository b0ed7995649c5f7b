"""A service's domain events → its public (contract) events, from one table per service.

    to_public = Publishing(
        "payments",
        {
            Balance.Opened: Rule(public.BalanceOpened),
            Balance.TransferReceived: Rule(
                public.PaymentPosted,
                rename={"payment_id": "transfer_id"},
                const={"method": "transfer"},
            ),
            Balance.WithdrawalPaid: Rule(public.WithdrawalCompleted, const={"outcome": "paid"}),
        },
        internal={Balance.AlertLevelSet, IdempotencyRecord.Recorded},
        sequenced=True,
    )

`to_public(event, position)` is the relay's `EventMapper`. A contract field is filled,
later steps winning:
1. copied: each contract field the domain event class declares under the same name
   (an event stored before it had the attribute is left to the contract's default);
2. `expand(event)`: several fields at once (e.g. a nested dict of the event laid out);
3. the envelope: `envelope_fields` (id, time, position, correlation), the aggregate's
   version as `sequence` when `sequenced`, and the service's own `envelope` fields
   (field → function of the event, for every event of the service);
4. the rule's `rename` (contract field → the event's attribute), `compute` (contract
   field → function of the event) and `const` (contract field → value).
A table entry may be a sequence of rules: the first whose `when(event)` holds (a rule
without `when` always does) publishes; none, and the event publishes nothing. Rules
are checked against both classes when the table is built: an override must name a
contract field, a rename an attribute of the event, and (without `expand`) every
required contract field must be filled. See docs/decisions.md (41).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts.envelope import Envelope
from kabinet.eventtable import EventTable, event_name
from kabinet.relay import envelope_fields

_MISSING = object()
_ENVELOPE = frozenset(Envelope.model_fields) - {"msisdn"}
"""Filled by the mapper, never copied: the event's own attributes of these names (its
correlation and causation ids) reach the envelope through `envelope_fields`."""


@dataclass(frozen=True, kw_only=True)
class Rule:
    """How one domain event class becomes one contract event (overrides: see the module)."""

    contract: type[Envelope] = field(kw_only=False)
    rename: Mapping[str, str] = field(default_factory=dict)
    compute: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    const: Mapping[str, Any] = field(default_factory=dict)
    expand: Callable[[Any], Mapping[str, Any]] | None = None
    when: Callable[[Any], bool] | None = None


class _Compiled:
    """A rule bound to its domain event class: what to copy is worked out once."""

    __slots__ = ("const", "compute", "contract", "copied", "expand", "rename", "when")

    def __init__(self, domain: type[Any], rule: Rule, envelope: frozenset[str]) -> None:
        where = f"{event_name(domain)} → {rule.contract.__name__}"
        contract_fields = rule.contract.model_fields
        attributes = {f.name for f in dataclasses.fields(domain)}
        overrides = [*rule.rename, *rule.compute, *rule.const]
        strangers = sorted(set(overrides) - set(contract_fields))
        if strangers:
            raise TypeError(f"{where}: not fields of the contract: {', '.join(strangers)}")
        if len(overrides) != len(set(overrides)):
            raise TypeError(f"{where}: a field is overridden twice")
        unknown = sorted(set(rule.rename.values()) - attributes)
        if unknown:
            raise TypeError(f"{where}: renames attributes the event lacks: {', '.join(unknown)}")
        self.copied = tuple(
            name
            for name in contract_fields
            if name in attributes and name not in envelope and name not in overrides
        )
        if rule.expand is None:
            filled = {*self.copied, *envelope, *overrides}
            needed = sorted(
                n for n, f in contract_fields.items() if f.is_required() and n not in filled
            )
            if needed:
                raise TypeError(f"{where}: nothing fills {', '.join(needed)}")
        self.contract = rule.contract
        self.expand = rule.expand
        self.rename = tuple(rule.rename.items())
        self.compute = tuple(rule.compute.items())
        self.const = dict(rule.const)
        self.when = rule.when

    def publish(self, event: Any, envelope: dict[str, Any]) -> Envelope:
        fields: dict[str, Any] = {}
        for name in self.copied:
            value = getattr(event, name, _MISSING)
            if value is not _MISSING:
                fields[name] = value
        if self.expand is not None:
            fields.update(self.expand(event))
        fields.update(envelope)
        for name, attribute in self.rename:
            value = getattr(event, attribute, _MISSING)
            if value is not _MISSING:
                fields[name] = value
        for name, function in self.compute:
            fields[name] = function(event)
        fields.update(self.const)
        return self.contract(**fields)


class Publishing:
    """The relay's mapper of one service: its table of rules and its internal events."""

    def __init__(
        self,
        producer: str,
        rules: Mapping[type[Any], Rule | Sequence[Rule]],
        *,
        internal: Iterable[type[Any]],
        sequenced: bool = False,
        envelope: Mapping[str, Callable[[Any], Any]] | None = None,
    ) -> None:
        """`internal`: the domain events that publish nothing (say so even when empty).
        `sequenced`: the envelope's `sequence` is the aggregate's version (per-key order).
        `envelope`: more envelope fields of every event of the service, each computed
        from the event (auth's subject, say)."""
        self.producer = producer
        self.sequenced = sequenced
        self.envelope = tuple((envelope or {}).items())
        filled = _ENVELOPE | set(envelope or ()) | ({"sequence"} if sequenced else set())
        compiled = {
            domain: _compile(domain, rule_or_rules, filled)
            for domain, rule_or_rules in rules.items()
        }
        self.table = EventTable(f"{producer} publishing", compiled, nothing=internal)

    def __call__(self, event: Any, position: int) -> Envelope | None:
        rules = self.table.lookup(event)
        if rules is None:
            return None
        for rule in rules:
            if rule.when is None or rule.when(event):
                return rule.publish(event, self._envelope(event, position))
        return None

    def _envelope(self, event: Any, position: int) -> dict[str, Any]:
        fields = envelope_fields(event, position, self.producer)
        if self.sequenced:
            fields["sequence"] = event.originator_version
        for name, function in self.envelope:
            fields[name] = function(event)
        return fields

    def unlisted(self, event_classes: Iterable[type[Any]]) -> list[str]:
        """Those event classes neither mapped nor internal (see `eventtable.domain_events`)."""
        return self.table.unlisted(event_classes)


def _compile(
    domain: type[Any], rule_or_rules: Rule | Sequence[Rule], envelope: frozenset[str]
) -> tuple[_Compiled, ...]:
    rules = (rule_or_rules,) if isinstance(rule_or_rules, Rule) else tuple(rule_or_rules)
    if not rules or any(r.when is None for r in rules[:-1]):
        raise TypeError(f"{event_name(domain)}: only the last of its rules may lack `when`")
    return tuple(_Compiled(domain, rule, envelope) for rule in rules)
