"""Account's route dependencies, beside the kit's (`kabinet.deps`), as `Annotated` aliases.

Account's views and checks read its copy of the catalog, so a request carrying a
catalog consistency token first waits (bounded) until every catalog event up to it is
applied (`CatalogSettled`); `FullySettled` adds the wait for the subscriber's own partition.
The caller becomes the `Who` recorded on every change (`By`, `ByStaff`). See
docs/decisions.md (42).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response

from kabinet import consistency
from kabinet.deps import Actor, Caller, SettledToken, StaffActor, Token, part_of, provided, settle
from kabinet.runtime import runtime_of
from services.account.application import AccountApplication
from services.account.catalog import CatalogProjection
from services.account.domain import Who
from services.account.projections import LastTopUp

Account = Annotated[AccountApplication, Depends(provided(AccountApplication))]
LastTopUps = Annotated[LastTopUp, Depends(provided(LastTopUp))]


async def catalog_settled(request: Request, token: Token) -> str | None:
    """Wait (bounded) for the catalog position the token names; answers the token."""
    wanted = consistency.decode(token).get("catalog")
    if wanted:
        wait = runtime_of(request).settings.consistency_wait
        await part_of(request, CatalogProjection).wait(wanted, wait)
    return token


CatalogSettled = Annotated[str | None, Depends(catalog_settled)]


async def fully_settled(request: Request, token: CatalogSettled) -> SettledToken:
    """The catalog waited for, then the subscriber's partition (the `{msisdn}` of the path)."""
    return await settle(request, token, request.path_params["msisdn"])


FullySettled = Annotated[SettledToken, Depends(fully_settled)]


def who_of(caller: Caller) -> Who:
    return Who(caller.actor, caller.actor_id, "ops" if caller.actor == "staff" else "web")


async def _by(caller: Actor) -> Who:
    return who_of(caller)


async def _by_staff(caller: StaffActor) -> Who:
    return who_of(caller)


By = Annotated[Who, Depends(_by)]
"""Who changes the subscriber; a request naming no one is the subscriber's own."""
ByStaff = Annotated[Who, Depends(_by_staff)]
"""Who changes the subscriber on a staff route; a request naming no one is staff's."""


def written(response: Response, position: int | None, **body: Any) -> dict[str, Any]:
    """A command's answer: whether it changed anything, and the token of what it wrote."""
    token = consistency.encode({"account": position}) if position else ""
    if token:
        response.headers[consistency.HEADER] = token
    return {**body, "changed": position is not None, "consistency_token": token}
