"""The private steps of eventsourcing's PostgreSQL recorder that kabinet overrides or calls
(`kabinet.eventsourcing_seams.RecorderSeams`) are taken when tables are created and when
a save carries tracking rows, and do kabinet's work there."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import Tracking

from kabinet.eventsourcing_seams import SEAMS, Seam
from kabinet.eventstore import ComparingProcessRecorder, persistence_env
from kabinet.settings import Settings
from tests.unit.test_eventsourcing_seams import Counter, CounterApplication, spied

pytestmark = pytest.mark.integration

SAVE_SEAMS = [
    s
    for s in SEAMS
    if s.library.__name__ == "PostgresProcessRecorder" and s.name != "_create_table"
]


def test_creating_the_tables_goes_through_the_recorders_seam_and_adds_the_insert_function(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    calls = spied(monkeypatch, ComparingProcessRecorder, "_create_table")
    app = CounterApplication(env=persistence_env(settings, "counters"))
    try:
        recorder = app.process_recorder
        assert isinstance(recorder, ComparingProcessRecorder)
        with recorder.datastore.transaction(commit=False) as cur:
            cur.execute(
                "SELECT count(*) AS n FROM pg_proc p JOIN pg_namespace s ON s.oid = p.pronamespace "
                "WHERE s.nspname = %s AND p.proname = %s",
                (recorder.datastore.schema, f"kabinet_insert_{recorder.events_table_name}"),
            )
            row = cur.fetchone()
        assert calls
        assert row is not None and row["n"] == 1
    finally:
        app.close()


@pytest.mark.parametrize("seam", SAVE_SEAMS, ids=lambda seam: seam.name)
def test_a_save_with_tracking_rows_goes_through_the_recorders_seams(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, seam: Seam
) -> None:
    app = CounterApplication(env=persistence_env(settings, "counters"))
    calls = spied(monkeypatch, ComparingProcessRecorder, seam.name)
    try:
        counter = Counter.start("a")
        app.save(counter)  # no tracking rows: one statement, no private step
        assert calls == []
        counter.add()
        (recording,) = app.save_moving(counter, moves=[(Tracking("upstream:1", 1), 0)])
        counter.add()
        app.save_moving(counter, moves=[(Tracking("upstream:1", 2), 1)])

        assert len(calls) == 2
        assert recording.notification.id == 2  # the id kabinet's insert function returned
        assert app.tracked_position("upstream:1") == 2  # the rows kabinet moved
        assert app.repository.get(counter.id).count == 2
    finally:
        app.close()
