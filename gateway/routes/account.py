"""The subscriber's contract (account service): profile, tariff, options, suspension,
blacklist, content subscriptions, support questions and the history of changes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gateway.deps import Me, Token, forward

router = APIRouter(prefix="/api/v1/me", tags=["subscriber"])


async def to_account(
    request: Request,
    method: str,
    path: str,
    token: str | None = None,
    *,
    actor: str = "subscriber",
    body: bool = False,
) -> Response:
    """One call to account on behalf of `actor`; the answer passes through."""
    return await forward(
        request, "account", method, path,
        token=token, body=body, headers={"Kabinet-Actor": actor},
    )  # fmt: skip


@router.get("/profile")
async def profile(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "GET", f"/subscribers/{msisdn}/profile", token)


@router.patch("/profile")
async def update_profile(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "PATCH", f"/subscribers/{msisdn}/profile", token, body=True)


@router.get("/tariff")
async def tariff(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "GET", f"/subscribers/{msisdn}/tariffs", token)


@router.put("/tariff")
async def change_tariff(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "PUT", f"/subscribers/{msisdn}/tariff", token, body=True)


@router.get("/options")
async def options(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "GET", f"/subscribers/{msisdn}/options", token)


@router.put("/options/{option_id}")
async def connect(request: Request, msisdn: Me, option_id: str, token: Token) -> Response:
    return await to_account(request, "PUT", f"/subscribers/{msisdn}/options/{option_id}", token)


@router.delete("/options/{option_id}")
async def disconnect(request: Request, msisdn: Me, option_id: str, token: Token) -> Response:
    return await to_account(request, "DELETE", f"/subscribers/{msisdn}/options/{option_id}", token)


@router.post("/suspension", status_code=201)
async def suspend(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "POST", f"/subscribers/{msisdn}/suspension", token, body=True)


@router.delete("/suspension")
async def resume(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "DELETE", f"/subscribers/{msisdn}/suspension", token)


@router.get("/blacklist")
async def blacklist(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "GET", f"/subscribers/{msisdn}/blacklist", token)


@router.post("/blacklist", status_code=201)
async def blacklist_add(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "POST", f"/subscribers/{msisdn}/blacklist", token, body=True)


@router.delete("/blacklist/{number}")
async def blacklist_remove(request: Request, msisdn: Me, number: str, token: Token) -> Response:
    return await to_account(request, "DELETE", f"/subscribers/{msisdn}/blacklist/{number}", token)


@router.get("/subscriptions")
async def subscriptions(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "GET", f"/subscribers/{msisdn}/subscriptions", token)


@router.delete("/subscriptions/{subscription_id}")
async def cancel_subscription(
    request: Request, msisdn: Me, subscription_id: str, token: Token
) -> Response:
    path = f"/subscribers/{msisdn}/subscriptions/{subscription_id}"
    return await to_account(request, "DELETE", path, token)


@router.get("/support/questions")
async def questions(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "GET", f"/subscribers/{msisdn}/questions", token)


@router.post("/support/questions", status_code=201)
async def ask(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "POST", f"/subscribers/{msisdn}/questions", token, body=True)


@router.get("/history")
async def history(request: Request, msisdn: Me, token: Token) -> Response:
    return await to_account(request, "GET", f"/subscribers/{msisdn}/history", token)
