"""The last top-up view kept in memory by its only writer: always the committed row."""

from __future__ import annotations

import pytest

from contracts.payments import PaymentPosted
from kabinet.effects import ProjectionEffects
from kabinet.settings import Settings
from services.account.projections import LastTopUp
from tests.integration.helpers import AccountProjections, numbers, payments_event

pytestmark = pytest.mark.integration

UPSTREAM = "payments:5"


def posted(msisdn: str, position: int, sequence: int, kopecks: int) -> PaymentPosted:
    event: PaymentPosted = payments_event(
        PaymentPosted,
        msisdn,
        position,
        payment_id=f"p{position}",
        amount_kopecks=kopecks,
        balance_kopecks=kopecks,
    )
    return event.model_copy(update={"sequence": sequence})


def effects_of(view: LastTopUp) -> ProjectionEffects:
    return ProjectionEffects(view.store, view.name, {"PaymentPosted": view.on_payment_posted})


def stored(store: AccountProjections, msisdn: str) -> dict[str, object]:
    return LastTopUp(store).get(msisdn) or {}


def test_rows_a_writer_commits_are_remembered_exactly_as_stored(settings: Settings) -> None:
    store = AccountProjections(settings)
    view = LastTopUp(store, remember=True)
    one, two = numbers(2)
    effects = effects_of(view)
    effects.apply(UPSTREAM, [posted(one, 1, 1, 100_00), posted(two, 2, 1, 50_00)])
    effects.apply(UPSTREAM, [posted(one, 3, 3, 200_00), posted(one, 4, 2, 10_00)])  # late one

    for msisdn in (one, two):
        assert view.remembered(msisdn) == stored(store, msisdn)
    assert stored(store, one)["topups"] == 3
    assert stored(store, one)["out_of_order"] == 1


def test_a_batch_rolled_back_leaves_nothing_in_memory(settings: Settings) -> None:
    """Another writer applied the batch first: the refused transaction's rows are not kept."""
    store = AccountProjections(settings)
    view = LastTopUp(store, remember=True)
    (msisdn,) = numbers(1)
    effects = effects_of(view)
    assert effects.position(UPSTREAM) == 0  # it saw the tracking row at 0
    first = [posted(msisdn, 1, 1, 100_00), posted(msisdn, 2, 2, 100_00)]
    effects_of(LastTopUp(store)).apply(UPSTREAM, first)  # another writer

    effects.apply(UPSTREAM, [*first, posted(msisdn, 3, 3, 300_00)])  # refused once, then 3 only

    assert stored(store, msisdn)["topups"] == 3
    assert view.remembered(msisdn) == stored(store, msisdn)


def test_a_view_that_is_not_the_only_writer_remembers_nothing(settings: Settings) -> None:
    store = AccountProjections(settings)
    view = LastTopUp(store)
    (msisdn,) = numbers(1)
    effects_of(view).apply(UPSTREAM, [posted(msisdn, 1, 1, 100_00)])
    assert view.get(msisdn) == stored(store, msisdn)
    assert view.remembered(msisdn) is None
