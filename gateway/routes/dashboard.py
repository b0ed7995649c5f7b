"""The dashboard: one answer combined from several services, partial if one is down."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.deps import Me, Token, services_of
from gateway.services import relay

router = APIRouter(prefix="/api/v1/me", tags=["subscriber"])


@router.get("/dashboard")
async def dashboard(request: Request, msisdn: Me, token: Token) -> Any:
    services = services_of(request)
    account, payments = await asyncio.gather(
        services.call("account", "GET", f"/subscribers/{msisdn}", token=token),
        services.call("payments", "GET", f"/balances/{msisdn}", token=token),
        return_exceptions=True,
    )
    missing: list[str] = []
    view: dict[str, Any] = {"msisdn": msisdn}
    for part, result in (("profile", account), ("balance", payments)):
        if isinstance(result, BaseException) or result.status_code >= 500:
            missing.append(part)
        elif result.status_code >= 400:
            return relay(result)
    if "profile" not in missing:
        data = account.json()  # type: ignore[union-attr]
        view.update(
            owner_name=data["owner_name"],
            tariff_id=data["tariff_id"],
            status=data["status"],
            options=data.get("options", []),
            last_topup=data["last_topup"],
        )
    if "balance" not in missing:
        view["balance"] = payments.json()["balance"]  # type: ignore[union-attr]
    view["missing"] = missing
    stale = any(
        not isinstance(r, BaseException) and r.headers.get("Kabinet-Stale")
        for r in (account, payments)
    )
    return JSONResponse(view, headers={"Kabinet-Stale": "true"} if stale else {})
