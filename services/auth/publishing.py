"""Auth's domain events → its public events (used by the outbox relay).

Digests of codes, passwords and refresh tokens stay in auth's own store; no public
event carries them. Codes issued to numbers that may not sign in are not published
(nothing was sent); failures are, marked `known_subject=False`.
"""

from __future__ import annotations

from typing import Any

from contracts import auth as public
from contracts.envelope import Envelope
from kabinet.relay import envelope_fields
from services.auth.logins import Login
from services.auth.network import NetworkLogin
from services.auth.otp import OtpBox
from services.auth.sessions import Session


def _base(event: Any, position: int, msisdn: str, subject_id: str | None = None) -> dict[str, Any]:
    subject = subject_id or msisdn
    return {
        **envelope_fields(event, position, "auth"),
        "msisdn": msisdn,
        "subject_id": subject,
        "subject_kind": "subscriber" if subject == msisdn else "corporate_admin",
    }


def to_public(event: Any, position: int) -> Envelope | None:
    if isinstance(event, OtpBox.Issued):
        if not event.delivered:
            return None
        return public.OtpIssued(
            **_base(event, position, event.msisdn),
            request_id=event.request_id,
            purpose=event.purpose,  # type: ignore[arg-type]
            channel="sms",
            requested_via=event.channel,  # type: ignore[arg-type]
            ip=event.ip,
            expires_at=event.expires_at,
            replaces_request_id=event.replaces,
        )
    if isinstance(event, OtpBox.Verified):
        return public.OtpVerified(
            **_base(event, position, event.msisdn),
            request_id=event.request_id,
            purpose=event.purpose,  # type: ignore[arg-type]
            attempts=event.attempts,
            channel=event.channel,  # type: ignore[arg-type]
            via="sms",
        )
    return _logins(event, position) or _sessions(event, position)


def _logins(event: Any, position: int) -> Envelope | None:
    if isinstance(event, Login.Failed):
        return public.LoginFailed(
            **_base(event, position, event.msisdn),
            method=event.method,  # type: ignore[arg-type]
            reason=event.reason,  # type: ignore[arg-type]
            channel=event.channel,  # type: ignore[arg-type]
            ip=event.ip,
            failed_attempts=event.failures,
            known_subject=event.known,
            request_id=event.request_id,
        )
    if isinstance(event, Login.Succeeded):
        return public.LoginSucceeded(
            **_base(event, position, event.msisdn, event.subject_id),
            method=event.method,  # type: ignore[arg-type]
            session_id=event.session_id,
            channel=event.channel,  # type: ignore[arg-type]
            ip=event.ip,
            remember_me=event.remember_me,
            notify_via=event.notify_via,  # type: ignore[arg-type]
            client_id=event.client_id,
        )
    if isinstance(event, Login.PasswordSet):
        return public.PasswordChanged(
            **_base(event, position, event.msisdn),
            how=event.how,  # type: ignore[arg-type]
            channel=event.channel,  # type: ignore[arg-type]
            sessions_ended=len(event.sessions_ended),
        )
    return None


def _sessions(event: Any, position: int) -> Envelope | None:
    if isinstance(event, Session.Started):
        return public.SessionStarted(
            **_base(event, position, event.msisdn, event.subject_id),
            session_id=event.originator_id.hex,
            method=event.method,  # type: ignore[arg-type]
            channel=event.channel,  # type: ignore[arg-type]
            remember_me=event.remember_me,
            idle_timeout_seconds=event.idle_timeout,
            expires_at=event.expires_at,
            ip=event.ip,
            device=event.device,
            client_id=event.client_id,
        )
    if isinstance(event, Session.Ended):
        return public.SessionEnded(
            **_base(event, position, event.msisdn, event.subject_id),
            session_id=event.originator_id.hex,
            reason=event.reason,  # type: ignore[arg-type]
            limit=event.limit,  # type: ignore[arg-type]
            channel=event.channel,  # type: ignore[arg-type]
            started_at=event.started_at,
            last_active_at=event.last_active_at,
        )
    return _network(event, position)


def _network(event: Any, position: int) -> Envelope | None:
    if isinstance(event, NetworkLogin.Requested):
        return public.OtpIssued(
            **_base(event, position, event.msisdn),
            request_id=event.originator_id.hex,
            purpose="login",
            channel="ussd",
            requested_via=event.channel,  # type: ignore[arg-type]
            ip=event.ip,
            expires_at=event.expires_at,
        )
    if isinstance(event, NetworkLogin.Answered):
        if event.confirmed:
            return public.OtpVerified(
                **_base(event, position, event.msisdn),
                request_id=event.originator_id.hex,
                purpose="login",
                via="ussd",
            )
        return public.LoginFailed(
            **_base(event, position, event.msisdn),
            method="network",
            reason="network_not_confirmed",
            channel="mobile",
            request_id=event.originator_id.hex,
        )
    return None
