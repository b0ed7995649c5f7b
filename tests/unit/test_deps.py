"""The kit's router dependencies, on a small service of the test's own (in memory)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from kabinet.deps import (
    Actor,
    Caller,
    IdempotencyKey,
    Settled,
    StaffActor,
    Token,
    command,
    provided,
)
from kabinet.eventstore import KabinetApplication
from kabinet.runtime import ServiceParts, ServiceRuntime, create_service_app
from kabinet.settings import Settings

ANNA = "79001234567"


class MeterApplication(KabinetApplication):
    name = "meters"


class Board:
    """A part the routes reach besides the application; its use case blocks."""

    def __init__(self) -> None:
        self.threads: list[str] = []

    def add(self, msisdn: str, units: int, key: str, caller: Caller) -> dict[str, Any]:
        self.threads.append(threading.current_thread().name)
        return {"msisdn": msisdn, "units": units, "key": key, "by": caller.actor,
                "consistency_token": "meters:3"}  # fmt: skip


Meters = Annotated[MeterApplication, Depends(provided(MeterApplication))]
Boards = Annotated[Board, Depends(provided(Board))]
router = APIRouter()


class Reading(BaseModel):
    units: int


@router.get("/meters/{msisdn}")
async def meter(msisdn: str, app: Meters, after: Settled, response: Response) -> dict[str, Any]:
    after.mark(response)
    return {"msisdn": msisdn, "service": app.name, "token": after.token}


@router.get("/tokens")
async def token(token: Token) -> dict[str, Any]:
    return {"token": token}


@router.post("/meters/{msisdn}/readings", status_code=201)
async def read(
    msisdn: str, body: Reading, board: Boards, key: IdempotencyKey, _: Settled, caller: Actor
) -> JSONResponse:
    return await command(board.add, msisdn, body.units, key, caller)


@router.get("/callers")
async def callers(caller: Actor) -> dict[str, Any]:
    return {"actor": caller.actor, "actor_id": caller.actor_id}


@router.get("/staff-callers")
async def staff_callers(caller: StaffActor) -> dict[str, Any]:
    return {"actor": caller.actor, "actor_id": caller.actor_id}


class Waits:
    """Stands in for the runtime's wait: records what was waited for, answers `caught_up`."""

    def __init__(self) -> None:
        self.caught_up = True
        self.waited: list[tuple[str | None, str]] = []

    async def __call__(self, token: str | None, key: str) -> bool:
        self.waited.append((token, key))
        return self.caught_up


@pytest.fixture
def board() -> Board:
    return Board()


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def service(board: Board, waits: Waits) -> FastAPI:
    app = MeterApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    service = create_service_app(
        ServiceParts("meters", [router], app, provides=[board]), Settings()
    )
    runtime: ServiceRuntime = service.state.runtime
    runtime.wait_for = waits  # type: ignore[method-assign]
    return service


@pytest.fixture
async def client(service: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service)
    async with httpx.AsyncClient(transport=transport, base_url="http://meters") as client:
        yield client


async def test_routes_reach_the_application_through_a_dependency(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get(f"/meters/{ANNA}")

    assert answer.json() == {"msisdn": ANNA, "service": "meters", "token": None}


async def test_a_read_waits_for_the_token_of_the_number_in_its_path(
    client: httpx.AsyncClient, waits: Waits
) -> None:
    by_header = await client.get(f"/meters/{ANNA}", headers={"Kabinet-Consistency-Token": "a:1"})
    by_query = await client.get(f"/meters/{ANNA}?consistency_token=a:2")

    assert waits.waited == [("a:1", ANNA), ("a:2", ANNA)]
    assert [by_header.json()["token"], by_query.json()["token"]] == ["a:1", "a:2"]
    assert "Kabinet-Stale" not in by_header.headers


async def test_a_read_whose_wait_ran_out_says_it_may_be_stale(
    client: httpx.AsyncClient, waits: Waits
) -> None:
    waits.caught_up = False

    answer = await client.get(f"/meters/{ANNA}", headers={"Kabinet-Consistency-Token": "a:1"})

    assert (answer.status_code, answer.headers["Kabinet-Stale"]) == (200, "true")


async def test_a_malformed_token_is_refused_naming_it(client: httpx.AsyncClient) -> None:
    answer = await client.get("/tokens", headers={"Kabinet-Consistency-Token": "nonsense"})

    assert (answer.status_code, answer.json()["field"]) == (422, "consistency_token")


async def test_a_command_runs_in_a_worker_thread_and_answers_with_its_token(
    client: httpx.AsyncClient, board: Board, waits: Waits
) -> None:
    answer = await client.post(
        f"/meters/{ANNA}/readings",
        json={"units": 7},
        headers={"Idempotency-Key": "k1", "Kabinet-Consistency-Token": "a:1"},
    )

    assert answer.status_code == 201, answer.text
    assert answer.headers["Kabinet-Consistency-Token"] == "meters:3"
    assert answer.json() == {
        "msisdn": ANNA, "units": 7, "key": "k1", "by": "subscriber",
        "consistency_token": "meters:3",
    }  # fmt: skip
    assert waits.waited == [("a:1", ANNA)]
    assert board.threads != [threading.current_thread().name]


async def test_a_command_without_a_key_is_refused_before_any_wait(
    client: httpx.AsyncClient, board: Board, waits: Waits
) -> None:
    answer = await client.post(
        f"/meters/{ANNA}/readings", json={"units": 7}, headers={"Idempotency-Key": " "}
    )

    assert (answer.status_code, answer.json()["field"]) == (422, "Idempotency-Key")
    assert (waits.waited, board.threads) == ([], [])


async def test_the_caller_is_whom_the_gateway_names_else_the_routes_default(
    client: httpx.AsyncClient,
) -> None:
    named = {"Kabinet-Actor": "staff", "Kabinet-Actor-Id": "s-1"}

    answers = [
        await client.get("/callers", headers=named),
        await client.get("/callers"),
        await client.get("/staff-callers"),
    ]

    assert [a.json() for a in answers] == [
        {"actor": "staff", "actor_id": "s-1"},
        {"actor": "subscriber", "actor_id": None},
        {"actor": "staff", "actor_id": None},
    ]


async def test_a_caller_of_no_known_kind_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.get("/callers", headers={"Kabinet-Actor": "robot"})

    assert (answer.status_code, answer.json()["field"]) == (422, "Kabinet-Actor")


async def test_a_test_overrides_a_provided_part_by_its_dependency(
    client: httpx.AsyncClient, service: FastAPI
) -> None:
    other = MeterApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    other.name = "other meters"
    service.dependency_overrides[provided(MeterApplication)] = lambda: other

    answer = await client.get(f"/meters/{ANNA}")

    assert answer.json()["service"] == "other meters"
