"""Demo data through the public API, so a second run changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

DEMO = Path(__file__).resolve().parent / "demo" / "subscribers.json"


def seed(gateway_url: str, ops_token: str) -> list[dict[str, Any]]:
    subscribers: list[dict[str, Any]] = json.loads(DEMO.read_text())
    with httpx.Client(base_url=gateway_url, timeout=30.0) as client:
        for person in subscribers:
            activation = {
                k: person[k] for k in ("msisdn", "owner_name", "region", "tariff_id", "email")
            }
            response = client.post(
                "/ops/v1/subscribers",
                json=activation,
                headers={"Authorization": f"Bearer {ops_token}"},
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
                    "X-Kabinet-Msisdn": person["msisdn"],
                    "Idempotency-Key": f"demo-seed-{person['msisdn']}",
                    **({"Kabinet-Consistency-Token": token} if token else {}),
                },
            )
            if topup.status_code != 201:
                raise RuntimeError(f"top-up of {person['msisdn']}: {topup.text}")
    return subscribers
