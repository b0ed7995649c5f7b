"""Sending SMS, behind a port with two adapters.

- `DevOutbox` (dev profile): stores each message in auth's schema, readable at
  `GET /dev/sms`, the only place a local user sees a code. Its log line says that a
  message went out, never what it says.
- `HttpSmsProvider`: POSTs to the provider (URL + key) with retries; at most
  `hourly_cap` messages per clock hour across all replicas — beyond it, it refuses and
  logs an alarm. Requests only queue a message (the provider's latency must not show
  in the answer's timing); a background loop sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx
import structlog
from prometheus_client import Counter

from kabinet.clock import Clock
from services.auth.devphones import DevPhones
from services.auth.domain import masked
from services.auth.quota import HourlyQuota

log = structlog.get_logger("auth.sms")

SMS_SENT = Counter("kabinet_sms_sent_total", "SMS handed to the provider", ["kind"])
SMS_REFUSED = Counter("kabinet_sms_refused_total", "SMS refused by the hourly cap")
QUEUE_SIZE = 10_000


@dataclass(frozen=True)
class Sms:
    msisdn: str
    text: str
    kind: str  # otp | login_notice


class SmsPort(Protocol):
    def send(self, sms: Sms) -> None:
        """Send now (blocking); used off the request path."""

    async def submit(self, sms: Sms) -> None:
        """Hand a message over from a request, without waiting for the provider."""


class DevOutbox:
    def __init__(self, phones: DevPhones) -> None:
        self.phones = phones

    def send(self, sms: Sms) -> None:
        self.phones.record(sms.msisdn, "sms", sms.kind, sms.text)
        SMS_SENT.labels(sms.kind).inc()
        log.info("sms_sent_to_dev_outbox", to=masked(sms.msisdn), kind=sms.kind)

    async def submit(self, sms: Sms) -> None:
        await asyncio.to_thread(self.send, sms)


class SmsRefused(Exception):
    """The provider did not take the message (cap reached, refused, or unreachable)."""


class HttpSmsProvider:
    def __init__(
        self,
        url: str,
        key: str | None,
        quota: HourlyQuota,
        clock: Clock,
        *,
        hourly_cap: int,
        retries: int = 3,
        backoff: float = 0.2,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.key = key
        self.quota = quota
        self.clock = clock
        self.hourly_cap = hourly_cap
        self.retries = retries
        self.backoff = backoff
        self.http = httpx.Client(timeout=timeout, transport=httpx.HTTPTransport(retries=1))
        self.queue: asyncio.Queue[Sms] = asyncio.Queue(QUEUE_SIZE)

    def send(self, sms: Sms) -> None:
        now: datetime = self.clock.now()
        if self.quota.take("sms", "provider", self.hourly_cap, now) is not None:
            SMS_REFUSED.inc()
            log.error(
                "sms_hourly_cap_reached",
                alarm=True,
                cap=self.hourly_cap,
                hour=now.replace(minute=0, second=0, microsecond=0).isoformat(),
                to=masked(sms.msisdn),
                kind=sms.kind,
            )
            raise SmsRefused("the hourly SMS cap is reached")
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        body = {"to": sms.msisdn, "text": sms.text}
        for attempt in range(self.retries + 1):
            try:
                answer = self.http.post(self.url, json=body, headers=headers)
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
            else:
                if answer.is_success:
                    SMS_SENT.labels(sms.kind).inc()
                    log.info("sms_sent", to=masked(sms.msisdn), kind=sms.kind, attempt=attempt)
                    return
                reason = f"status {answer.status_code}"
                if answer.is_client_error and answer.status_code != 429:
                    break
            log.warning("sms_provider_failed", to=masked(sms.msisdn), reason=reason)
            if attempt < self.retries:
                time.sleep(self.backoff * 2**attempt)  # back off before the next try
        log.error("sms_not_sent", to=masked(sms.msisdn), kind=sms.kind, reason=reason)
        raise SmsRefused(reason)

    async def submit(self, sms: Sms) -> None:
        try:
            self.queue.put_nowait(sms)
        except asyncio.QueueFull:
            log.error("sms_queue_full", alarm=True, to=masked(sms.msisdn), kind=sms.kind)

    async def run(self) -> None:
        """The background loop sending what requests queued."""
        while True:
            sms = await self.queue.get()
            try:
                with contextlib.suppress(SmsRefused):  # logged where it was refused
                    await asyncio.to_thread(self.send, sms)
            finally:
                self.queue.task_done()


class Unconfigured:
    """No provider configured outside the dev profile: every message is refused, loudly."""

    def send(self, sms: Sms) -> None:
        log.error("sms_not_configured", alarm=True, to=masked(sms.msisdn), kind=sms.kind)
        raise SmsRefused("no SMS provider is configured")

    async def submit(self, sms: Sms) -> None:
        with contextlib.suppress(SmsRefused):
            self.send(sms)
