"""USSD push (the network login's "press 1 to confirm"), behind a port.

The dev adapter stores each push in auth's schema (`GET /dev/ussd`) and does nothing
else: in development the phone's answer is played by calling auth's callback route
(`POST /ussd/answers`), as the operator's USSD gateway would.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import structlog

from services.auth.devphones import DevPhones
from services.auth.domain import masked

log = structlog.get_logger("auth.ussd")

PROMPT = "Вход в личный кабинет. Нажмите 1, чтобы подтвердить, или 2, чтобы отклонить."


class UssdPort(Protocol):
    async def push(self, msisdn: str, request_id: str, text: str) -> None: ...


class DevUssd:
    def __init__(self, phones: DevPhones) -> None:
        self.phones = phones

    async def push(self, msisdn: str, request_id: str, text: str) -> None:
        await asyncio.to_thread(self.phones.record, msisdn, "ussd", "confirm", text, request_id)
        log.info("ussd_pushed_to_dev", to=masked(msisdn))
