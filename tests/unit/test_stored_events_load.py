"""Events stored by earlier versions of the code still load and replay to the same state.

`tests/fixtures/stored_events.json` holds whole histories of aggregates, as the services
stored them while the integration suite ran (topic and state of every event, covering every
topic that suite stores), and the state each aggregate had when it was written. A topic that
no longer resolves, or an event that now folds differently, fails here.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from kabinet.eventstore import KabinetApplication

FIXTURE = Path(__file__).parent.parent / "fixtures" / "stored_events.json"


def plain(value: Any) -> Any:
    """A JSON-comparable copy of an attribute value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return plain(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "__dict__"):
        return {k: plain(v) for k, v in vars(value).items() if not k.startswith("_")}
    return repr(value)


def state_of(aggregate: Any) -> dict[str, Any]:
    """The aggregate's state under the attribute names it had when the fixture was written.

    A change of an aggregate's inner shape (state kept in a part it composes) maps the new
    shape back to these names here; the expected values in the fixture never change.
    """
    state = {k: plain(v) for k, v in vars(aggregate).items() if not k.startswith("_")}
    state["id"], state["version"] = str(aggregate.id), aggregate.version
    return state


def stored(item: dict[str, Any]) -> StoredEvent:
    state = item["state"].encode() if "state" in item else base64.b64decode(item["state_b64"])
    return StoredEvent(
        originator_id=UUID(item["originator_id"]),
        originator_version=item["originator_version"],
        topic=item["topic"],
        state=state,
    )


def replayed(fixture: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    app = KabinetApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        app.recorder.insert_events([stored(item) for item in fixture["events"]])
        for originator_id in dict.fromkeys(item["originator_id"] for item in fixture["events"]):
            yield originator_id, state_of(app.repository.get(UUID(originator_id)))
    finally:
        app.close()


@pytest.fixture(scope="module")
def fixture() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FIXTURE.read_text())
    return loaded


def test_every_stored_topic_still_resolves_to_a_class(fixture: dict[str, Any]) -> None:
    from eventsourcing.utils import resolve_topic

    for topic in sorted({item["topic"] for item in fixture["events"]}):
        assert isinstance(resolve_topic(topic), type), topic


def test_stored_histories_replay_to_the_state_they_had_when_written(
    fixture: dict[str, Any],
) -> None:
    expected = fixture["expected"]
    got = dict(replayed(fixture))
    assert got.keys() == expected.keys()
    for originator_id, state in got.items():
        assert state == expected[originator_id], originator_id


if __name__ == "__main__":  # writes the expected states, once, with the code that stored them
    data = json.loads(FIXTURE.read_text())
    data["expected"] = dict(replayed(data))
    FIXTURE.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n")
