"""Events published by the auth service (stream AUTH).

Secrets never appear here: no OTP codes, passwords, hashes or tokens.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field, NonNegativeInt, PositiveInt

from contracts.envelope import Envelope
from contracts.fields import Channel

OtpPurpose = Literal[
    "registration", "login", "password_reset", "corporate_registration", "corporate_login"
]
LoginMethod = Literal["password", "otp", "network", "sim_puk"]
SessionEndReason = Literal["logout", "expired", "revoked", "password_changed", "reuse_detected"]
NoticeChannel = Literal["sms", "email"]


class AuthEvent(Envelope):
    """A fact about a credential holder; corporate admins and staff may have no MSISDN."""

    PRODUCER: ClassVar[str] = "auth"
    producer: Literal["auth"] = "auth"
    subject_id: str = Field(min_length=1, description="The credential holder: the partition key.")
    subject_kind: Literal["subscriber", "corporate_admin", "staff"] = "subscriber"

    def key_fallback(self) -> str:
        return self.subject_id


class OtpIssued(AuthEvent):
    """A one-time code was sent; an earlier unused code for the same purpose is cancelled."""

    type: Literal["OtpIssued"] = "OtpIssued"
    request_id: str
    purpose: OtpPurpose
    channel: Literal["sms", "email", "ussd"] = Field(
        default="sms", description="How the code (or the USSD confirmation) reached the phone."
    )
    requested_via: Channel = Field(default="web", description="Front end that asked for it.")
    ip: str | None = None
    expires_at: AwareDatetime
    replaces_request_id: str | None = Field(
        default=None, description="The earlier request whose code this one cancelled."
    )


class OtpVerified(AuthEvent):
    """The subscriber entered the right code before it expired."""

    type: Literal["OtpVerified"] = "OtpVerified"
    request_id: str
    purpose: OtpPurpose
    attempts: PositiveInt = Field(default=1, description="Tries it took, the right one included.")
    channel: Channel = "web"
    via: Literal["sms", "ussd"] = "sms"


class LoginSucceeded(AuthEvent):
    """A credential holder logged in and a session was opened."""

    type: Literal["LoginSucceeded"] = "LoginSucceeded"
    method: LoginMethod
    session_id: str
    channel: Channel
    ip: str | None = None
    remember_me: bool = False
    notify_via: list[NoticeChannel] = Field(
        default=[], description="Where the subscriber asked to be told of each new login."
    )
    client_id: str | None = Field(default=None, description="A corporate admin's client.")


class LoginFailed(AuthEvent):
    """A login attempt failed; an unknown login has the normalised login as `subject_id`."""

    type: Literal["LoginFailed"] = "LoginFailed"
    method: LoginMethod
    reason: Literal[
        "wrong_credentials",
        "otp_expired",
        "otp_cancelled",
        "too_many_attempts",
        "locked",
        "network_not_confirmed",
        "suspended",
        "otp_used",
    ]
    channel: Channel
    ip: str | None = None
    failed_attempts: PositiveInt = Field(
        default=1, description="Failures in a row for this login, this one included."
    )
    known_subject: bool = Field(
        default=True, description="False when the login names no one who may sign in."
    )
    request_id: str | None = Field(default=None, description="The code request, for codes.")


class PasswordChanged(AuthEvent):
    """A permanent password was set, changed or reset; other sessions ended."""

    type: Literal["PasswordChanged"] = "PasswordChanged"
    how: Literal["set", "changed", "reset"]
    channel: Channel
    sessions_ended: NonNegativeInt = 0


class SessionStarted(AuthEvent):
    """A session opened; it ends after `idle_timeout_seconds` without activity."""

    type: Literal["SessionStarted"] = "SessionStarted"
    session_id: str
    method: LoginMethod
    channel: Channel
    remember_me: bool = False
    idle_timeout_seconds: PositiveInt = 1800
    expires_at: AwareDatetime = Field(description="The absolute limit, whatever the activity.")
    ip: str | None = None
    device: str | None = Field(default=None, description="The client's User-Agent, shortened.")
    client_id: str | None = None


class SessionEnded(AuthEvent):
    """A session ended: logout, idle expiry, revocation or a security reason."""

    type: Literal["SessionEnded"] = "SessionEnded"
    session_id: str
    reason: SessionEndReason
    limit: Literal["idle", "absolute"] | None = Field(
        default=None, description="Which limit ran out, when the reason is `expired`."
    )
    channel: Channel = Field(default="system", description="Where the end was asked for.")
    started_at: AwareDatetime
    last_active_at: AwareDatetime | None = None
