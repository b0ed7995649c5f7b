"""Staff routes (`/ops/v1`), every one behind the staff credential."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from gateway.deps import json_body, services_of, staff
from gateway.services import relay

router = APIRouter(prefix="/ops/v1", tags=["staff"], dependencies=[Depends(staff)])


@router.post("/subscribers", status_code=201)
async def activate(request: Request) -> JSONResponse:
    body = await json_body(request)
    return relay(await services_of(request).call("account", "POST", "/subscribers", json=body))
