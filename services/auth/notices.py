"""Login notices: on each new login, an SMS and/or an e-mail, as the subscriber chose.

Auth reads its own stream: the handler of `LoginSucceeded` sends what the event's
`notify_via` asks for (the e-mail goes to the address on the subscriber's profile).
Sending happens while the consumer's batch is applied, so a crash before the batch
commits sends that notice again — at least once, never lost. A failed delivery is
logged and dropped, so it cannot block the partition.
"""

from __future__ import annotations

import contextlib
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import structlog
from psycopg import Cursor
from psycopg.rows import DictRow

from contracts.auth import LoginSucceeded
from kabinet.effects import ProjectionHandler
from services.auth.domain import masked
from services.auth.sms import Sms, SmsPort, SmsRefused

log = structlog.get_logger("auth.notices")

CHANNELS = {"web": "сайт", "mobile": "приложение", "ops": "оператор", "system": "система"}


@dataclass(frozen=True)
class Mailer:
    """SMTP with the standard library (called from the consumer's worker thread)."""

    host: str
    port: int = 25
    sender: str = "kabinet@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user and self.password:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def notice_text(event: LoginSucceeded) -> str:
    when = event.occurred_at.strftime("%d.%m.%Y %H:%M UTC")
    where = CHANNELS.get(event.channel, event.channel)
    return (
        f"Вход в личный кабинет: {when}, {where}"
        + (f", IP {event.ip}" if event.ip else "")
        + ". Если это были не вы, смените пароль."
    )


class LoginNotices:
    name = "login_notices"

    def __init__(self, sms: SmsPort, mailer: Mailer | None, schema: str) -> None:
        self.sms = sms
        self.mailer = mailer
        self.subscribers = f'"{schema}".subscriber'

    @property
    def handlers(self) -> dict[str, ProjectionHandler]:
        return {"LoginSucceeded": self.on_login}

    def on_login(self, cur: Cursor[DictRow], event: LoginSucceeded) -> None:
        if not event.msisdn:
            return
        text = notice_text(event)
        if "sms" in event.notify_via:
            with contextlib.suppress(SmsRefused):  # logged by the adapter
                self.sms.send(Sms(event.msisdn, text, "login_notice"))
        if "email" in event.notify_via:
            cur.execute(f"SELECT email FROM {self.subscribers} WHERE msisdn = %s", (event.msisdn,))
            row: dict[str, Any] | None = cur.fetchone()
            self._mail(event.msisdn, row["email"] if row else None, text)

    def _mail(self, msisdn: str, address: str | None, text: str) -> None:
        if self.mailer is None or not address:
            log.warning("login_notice_not_mailed", to=masked(msisdn), reason="no mailer or address")
            return
        try:
            self.mailer.send(address, "Вход в личный кабинет", text)
        except (OSError, smtplib.SMTPException) as exc:
            log.error("login_notice_mail_failed", to=masked(msisdn), error=type(exc).__name__)
        else:
            log.info("login_notice_mailed", to=masked(msisdn))
