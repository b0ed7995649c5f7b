"""The private methods of eventsourcing kabinet relies on: still there, as relied on, and
used only through `kabinet.eventsourcing_seams` (the recorder's, on PostgreSQL, in
tests/integration/test_eventsourcing_seams.py)."""

from __future__ import annotations

import contextvars
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import Tracking

import kabinet
from kabinet import context
from kabinet.domain import KabinetAggregate, stable_id
from kabinet.eventsourcing_seams import SEAMS, Seam
from kabinet.eventstore import KabinetApplication


class Counter(KabinetAggregate):
    """A small aggregate of the kit's own, to save."""

    class Started(KabinetAggregate.Created):
        name: str

    class Counted(KabinetAggregate.Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.count += 1

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @classmethod
    def start(cls, name: str) -> Counter:
        return cls._create(cls.Started, id=stable_id("counter", name), name=name)

    def add(self) -> None:
        self.trigger_event(self.Counted)


class CounterApplication(KabinetApplication):
    name = "counters"


def spied(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> list[Any]:
    """Record every call of `cls.<name>` (as `cls` and its subclasses resolve it) and let
    it run; the calls' first arguments, in order."""
    calls: list[Any] = []
    found = inspect.getattr_static(cls, name)
    function: Callable[..., Any] = found.__func__ if isinstance(found, classmethod) else found

    def spy(first: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(first)
        return function(first, *args, **kwargs)

    monkeypatch.setattr(cls, name, classmethod(spy) if isinstance(found, classmethod) else spy)
    return calls


def without_annotations(method: Any) -> str:
    signature = inspect.signature(method)
    plain = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()]
    return str(signature.replace(parameters=plain, return_annotation=inspect.Signature.empty))


@pytest.mark.parametrize("seam", SEAMS, ids=lambda seam: seam.name)
def test_eventsourcing_still_has_each_private_method_with_the_signature_kabinet_relies_on(
    seam: Seam,
) -> None:
    method = getattr(seam.library, seam.name, None)
    assert method is not None, f"eventsourcing's {seam.library.__name__} has no {seam.name}"
    assert without_annotations(method) == seam.signature


@pytest.mark.parametrize("seam", SEAMS, ids=lambda seam: seam.name)
def test_no_kabinet_module_but_the_seams_overrides_or_calls_a_private_method(seam: Seam) -> None:
    """`_create` is the library's documented way to create an aggregate: calls are fine."""
    patterns = [rf"def {seam.name}\("]
    if seam.name != "_create":
        patterns.append(rf"\.{seam.name}\(")
    root = Path(kabinet.__file__).parent
    found = [
        f"{path.relative_to(root)}: {pattern}"
        for path in root.rglob("*.py")
        if path.name != "eventsourcing_seams.py"
        for pattern in patterns
        if re.search(pattern, path.read_text())
    ]
    assert found == []


APPLICATION_SEAMS = [s for s in SEAMS if s.name in {"_record", "_take_snapshots", "_notify"}]


@pytest.mark.parametrize("seam", APPLICATION_SEAMS, ids=lambda seam: seam.name)
def test_every_kind_of_save_goes_through_the_applications_seams(
    monkeypatch: pytest.MonkeyPatch, seam: Seam
) -> None:
    calls = spied(monkeypatch, CounterApplication, seam.name)
    app = CounterApplication()
    told: list[int] = []
    app.on_saved(lambda recordings: told.append(len(recordings)))
    counter = Counter.start("a")
    app.save(counter)
    counter.add()
    app.save_tracked(counter, tracking=Tracking("upstream:1", 1))

    assert calls == [app, app]
    assert told == [1, 1]  # kabinet's listeners are told, through `_notify`
    assert app.repository.get(counter.id).count == 1
    assert app.tracked_position("upstream:1") == 1


def test_a_new_aggregate_is_created_through_the_seam_with_the_context_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (seam,) = [s for s in SEAMS if s.name == "_create"]
    calls = spied(monkeypatch, Counter, seam.name)

    def start() -> Counter:
        context.bind("corr-1", causation="cause-1")
        return Counter.start("b")

    (started,) = contextvars.copy_context().run(start).collect_events()
    assert isinstance(started, KabinetAggregate.Event)
    assert calls == [Counter]
    assert (started.correlation_id, started.causation_id) == ("corr-1", "cause-1")
