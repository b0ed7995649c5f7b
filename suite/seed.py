"""Demo data through the public API, so a second run changes nothing.

Each demo subscriber signs in as a person would: the first time with an SMS code read from
the dev outbox (dev profile), then with the demo password it sets, so later runs send no
more codes (and a local user can sign in with it too).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from kabinet import consistency

DEMO = Path(__file__).resolve().parent / "demo" / "subscribers.json"
DEMO_PASSWORD = "kabinet-demo-2026"
CATALOG = Path(__file__).resolve().parent / "demo" / "catalog.json"


def _post(client: httpx.Client, path: str, body: dict[str, Any], ops_token: str) -> str | None:
    """One staff write; 409 means it is there already. The consistency token, if new."""
    response = client.post(path, json=body, headers={"Authorization": f"Bearer {ops_token}"})
    if response.status_code not in (201, 409):
        raise RuntimeError(f"{path}: {response.text}")
    return response.json().get("consistency_token") if response.status_code == 201 else None


def seed_catalog(client: httpx.Client, ops_token: str) -> str | None:
    """The demo catalog: tariffs, options (in dependency order), then retirements."""
    catalog: dict[str, list[dict[str, Any]]] = json.loads(CATALOG.read_text())
    tokens = [_post(client, "/ops/v1/catalog/tariffs", t, ops_token) for t in catalog["tariffs"]]
    tokens += [_post(client, "/ops/v1/catalog/options", o, ops_token) for o in catalog["options"]]
    for retired in catalog["retired"]:
        body = {"replacement_tariff_id": retired["replacement_tariff_id"]}
        path = f"/ops/v1/catalog/tariffs/{retired['tariff_id']}/retirement"
        tokens.append(_post(client, path, body, ops_token))
    written = [t for t in tokens if t]
    return consistency.merge(*written) if written else None


def newest_code(messages: list[dict[str, Any]]) -> str:
    """The code in the newest one-time-code SMS of a dev outbox listing (newest first)."""
    for message in messages:
        found = re.search(r"\b(\d{6})\b", message["text"])
        if message["kind"] == "otp" and found:
            return found.group(1)
    raise LookupError("no code in the outbox")


def sign_in(client: httpx.Client, msisdn: str, token: str | None) -> dict[str, str]:
    """Authorization headers of a demo subscriber: by the demo password, or the first
    time by an SMS code, setting the demo password."""
    login = client.post("/api/v1/auth/login", json={"msisdn": msisdn, "password": DEMO_PASSWORD})
    if login.status_code == 200:
        return {"Authorization": f"Bearer {login.json()['access_token']}"}
    asked = client.post(
        "/api/v1/auth/otp",
        json={"msisdn": msisdn, "purpose": "login"},
        headers={consistency.HEADER: token} if token else {},
    )
    outbox = client.get("/dev/sms", params={"msisdn": msisdn}).json()["messages"]
    verified = client.post(
        "/api/v1/auth/otp/verify",
        json={
            "msisdn": msisdn,
            "request_id": asked.json()["request_id"],
            "code": newest_code(outbox),
        },
    )
    if verified.status_code != 200:
        raise RuntimeError(f"signing {msisdn} in: {verified.text}")
    headers = {"Authorization": f"Bearer {verified.json()['access_token']}"}
    chosen = client.put(
        "/api/v1/auth/password", json={"new_password": DEMO_PASSWORD}, headers=headers
    )
    if chosen.status_code != 200:
        raise RuntimeError(f"setting the demo password of {msisdn}: {chosen.text}")
    return headers


def seed(gateway_url: str, ops_token: str) -> list[dict[str, Any]]:
    subscribers: list[dict[str, Any]] = json.loads(DEMO.read_text())
    with httpx.Client(base_url=gateway_url, timeout=30.0) as client:
        catalog_token = seed_catalog(client, ops_token)
        for person in subscribers:
            activation = {
                k: person[k] for k in ("msisdn", "owner_name", "region", "tariff_id", "email")
            }
            response = client.post(
                "/ops/v1/subscribers",
                json=activation,
                headers={
                    "Authorization": f"Bearer {ops_token}",
                    **({consistency.HEADER: catalog_token} if catalog_token else {}),
                },
            )
            if response.status_code not in (201, 409):
                raise RuntimeError(f"activating {person['msisdn']}: {response.text}")
            token = (
                response.json().get("consistency_token") if response.status_code == 201 else None
            )
            topup = client.post(
                "/api/v1/me/topups",
                json={"amount": person["topup"]},
                headers={
                    **sign_in(client, person["msisdn"], token),
                    "Idempotency-Key": f"demo-seed-{person['msisdn']}",
                    **({consistency.HEADER: token} if token else {}),
                },
            )
            if topup.status_code != 201:
                raise RuntimeError(f"top-up of {person['msisdn']}: {topup.text}")
    return subscribers
