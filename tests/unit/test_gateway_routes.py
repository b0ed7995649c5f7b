"""The gateway's routers are matched in the order of `ROUTERS` (hot ones first): that
order may only change the cost of a match, never which route answers."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from gateway.routes import ROUTERS

Routes = list[tuple[int, APIRoute]]


def routes_of_routers() -> Routes:
    return [
        (index, route)
        for index, router in enumerate(ROUTERS)
        for route in router.routes
        if isinstance(route, APIRoute)
    ]


def overlaps(routes: Routes) -> list[tuple[str, str]]:
    """Pairs (path, path of another router) where the first would answer the second."""
    return [
        (mine.path, theirs.path)
        for index, mine in routes
        for other, theirs in routes
        if index != other
        and mine.methods & theirs.methods
        and mine.path_regex.match(re.sub(r"\{[^}]+\}", "x1", theirs.path))
    ]


def test_no_route_of_one_router_answers_a_path_of_another() -> None:
    assert overlaps(routes_of_routers()) == []


def test_a_catch_all_route_in_another_router_would_be_reported() -> None:
    catch_all = APIRoute("/api/v1/me/{anything}", endpoint=lambda: None, methods=["GET"])
    found = overlaps([*routes_of_routers(), (len(ROUTERS), catch_all)])
    assert ("/api/v1/me/{anything}", "/api/v1/me/dashboard") in found
