"""FastAPI dependencies of a service's module-level routers, as `Annotated` aliases.

A service's routes reach the running service through these, not through a closure
over its application. The service names its parts once (`ServiceParts.app` and
`ServiceParts.provides` hold them) and its routes are a few lines each:

    Payments = Annotated[PaymentsApplication, Depends(provided(PaymentsApplication))]
    router = APIRouter(tags=["payments"])

    @router.get("/balances/{msisdn}/operations")
    async def operations(
        msisdn: Msisdn, app: Payments, after: Settled, response: Response
    ) -> dict[str, Any]:
        after.mark(response)  # `Kabinet-Stale: true` when the wait ran out
        return await asyncio.to_thread(history.operations, app, msisdn)

    @router.post("/balances/{msisdn}/transfers", status_code=201)
    async def transfer(
        msisdn: Msisdn, body: TransferRequest, app: Payments, key: IdempotencyKey, _: Settled
    ) -> JSONResponse:
        return await command(app.transfer, msisdn, body.to, body.amount, key)

FastAPI solves a route's dependencies in the order the route names them (above: the
key is checked, then the token waited for), before it validates the route's own
parameters and body: a request without a key is refused for the key even when its
body is malformed too. Each dependency is `async def`: FastAPI runs a plain `def` one
in a worker thread. A hot route that reads its request itself uses `part_of` and
`token_in`. See docs/decisions.md (42).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

from fastapi import Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from kabinet import consistency
from kabinet.idempotency import check_key
from kabinet.runtime import runtime_of

T = TypeVar("T")
P = ParamSpec("P")

IDEMPOTENCY_HEADER = "Idempotency-Key"
STALE_HEADER = "Kabinet-Stale"
TOKEN_QUERY = "consistency_token"
ACTOR_HEADER = "Kabinet-Actor"
ACTOR_ID_HEADER = "Kabinet-Actor-Id"


def part_of(request: Request, kind: type[T]) -> T:
    """The running service's application or provided part that is a `kind`."""
    return runtime_of(request).parts.provided(kind)


@functools.cache  # one function per kind: `app.dependency_overrides[provided(X)]` finds it
def provided(kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency answering the running service's part that is a `kind`."""

    async def dependency(request: Request) -> T:
        return part_of(request, kind)

    dependency.__name__ = f"provided_{kind.__name__}"
    return dependency


def _checked(token: str | None) -> str | None:
    consistency.decode(token)  # a malformed token is the caller's error, named here
    return token


async def token_of(
    header: Annotated[str | None, Header(alias=consistency.HEADER)] = None,
    query: Annotated[str | None, Query(alias=TOKEN_QUERY)] = None,
) -> str | None:
    """The consistency token a request sends: its header, else its query parameter."""
    return _checked(header or query)


def token_in(request: Request) -> str | None:
    """`token_of`, read straight from the request (a hot route that solves nothing)."""
    return _checked(
        request.headers.get(consistency.HEADER) or request.query_params.get(TOKEN_QUERY)
    )


Token = Annotated[str | None, Depends(token_of)]


@dataclass(frozen=True, slots=True)
class SettledToken:
    """A consistency token this service's consumers were waited for (bounded)."""

    token: str | None
    stale: bool
    """The wait ran out before the token's positions were applied."""

    def mark(self, response: Response) -> None:
        """Tell the caller the answer may not show the token's writes yet."""
        if self.stale:
            response.headers[STALE_HEADER] = "true"


async def settle(request: Request, token: str | None, key: str) -> SettledToken:
    """Wait until this service's consumers applied the token's positions for `key` (the
    partition key, e.g. a number): for a route whose key is not in its path."""
    return SettledToken(token, stale=not await runtime_of(request).wait_for(token, key))


@functools.cache
def settled_for(path_parameter: str) -> Callable[..., Awaitable[SettledToken]]:
    """A dependency settling the request's token for the key in `{path_parameter}`."""

    async def dependency(request: Request, token: Token) -> SettledToken:
        return await settle(request, token, request.path_params[path_parameter])

    dependency.__name__ = f"settled_for_{path_parameter}"
    return dependency


Settled = Annotated[SettledToken, Depends(settled_for("msisdn"))]


async def idempotency_key(
    key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER)] = None,
) -> str:
    """The request's `Idempotency-Key`, required on a money-moving request."""
    return check_key(key)


IdempotencyKey = Annotated[str, Depends(idempotency_key)]

ActorKind = Literal["subscriber", "corporate_admin", "staff"]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who makes a request, as the gateway names them in `Kabinet-Actor[-Id]` headers."""

    actor: ActorKind
    actor_id: str | None


@functools.cache
def caller(default: ActorKind = "subscriber") -> Callable[..., Awaitable[Caller]]:
    """The one place that says who calls; `default` when the request does not say.

    It reads the gateway's headers today; verifying a credential instead changes this
    function, not the routes."""

    async def dependency(
        actor: Annotated[ActorKind | None, Header(alias=ACTOR_HEADER)] = None,
        actor_id: Annotated[str | None, Header(alias=ACTOR_ID_HEADER, max_length=100)] = None,
    ) -> Caller:
        return Caller(actor or default, actor_id)

    dependency.__name__ = f"caller_{default}"
    return dependency


Actor = Annotated[Caller, Depends(caller())]
"""The caller; a request naming no one is the subscriber's own."""
StaffActor = Annotated[Caller, Depends(caller("staff"))]
"""The caller of a staff route; a request naming no one is staff's."""


def answered(result: Mapping[str, Any], status: int = 201, *, token: bool = True) -> JSONResponse:
    """A command's answer: its result as JSON with `status` and, with `token`, the result's
    `consistency_token` as the `Kabinet-Consistency-Token` header too."""
    headers = {consistency.HEADER: result["consistency_token"]} if token else {}
    return JSONResponse(dict(result), status_code=status, headers=headers)


async def command(
    use_case: Callable[P, Mapping[str, Any]], *args: P.args, **kwargs: P.kwargs
) -> JSONResponse:
    """Run a blocking use case in the worker threads (`use_worker_threads`) and answer
    201 with its result and consistency token (`answered`, for another status)."""
    result = await asyncio.to_thread(use_case, *args, **kwargs)
    return answered(result)
