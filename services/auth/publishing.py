"""Auth's domain events → its public events: the table the outbox relay maps by.

Digests of codes, passwords and refresh tokens stay in auth's own store; no public
event carries them. Codes issued to numbers that may not sign in are not published
(nothing was sent); failures are, marked `known_subject=False`. Every event names its
subject: a corporate admin's id when the event carries one, else the number.
"""

from __future__ import annotations

from typing import Any

from contracts import auth as public
from kabinet.publishing import Publishing, Rule
from services.auth.logins import Login
from services.auth.network import NetworkLogin
from services.auth.otp import OtpBox
from services.auth.sessions import Session


def _subject(event: Any) -> str:
    return getattr(event, "subject_id", None) or str(event.msisdn)


def _subject_kind(event: Any) -> str:
    return "subscriber" if _subject(event) == event.msisdn else "corporate_admin"


def _hex_id(event: Any) -> str:
    return str(event.originator_id.hex)


_NETWORK_LOGIN = {"purpose": "login"}

to_public = Publishing(
    "auth",
    {
        OtpBox.Issued: Rule(
            public.OtpIssued,
            when=lambda e: bool(e.delivered),
            rename={"requested_via": "channel", "replaces_request_id": "replaces"},
            const={"channel": "sms"},
        ),
        OtpBox.Verified: Rule(public.OtpVerified, const={"via": "sms"}),
        Login.Failed: Rule(
            public.LoginFailed, rename={"failed_attempts": "failures", "known_subject": "known"}
        ),
        Login.Succeeded: Rule(public.LoginSucceeded),
        Login.PasswordSet: Rule(
            public.PasswordChanged, compute={"sessions_ended": lambda e: len(e.sessions_ended)}
        ),
        Session.Started: Rule(
            public.SessionStarted,
            rename={"idle_timeout_seconds": "idle_timeout"},
            compute={"session_id": _hex_id},
        ),
        Session.Ended: Rule(public.SessionEnded, compute={"session_id": _hex_id}),
        NetworkLogin.Requested: Rule(
            public.OtpIssued,
            rename={"requested_via": "channel"},
            compute={"request_id": _hex_id},
            const={**_NETWORK_LOGIN, "channel": "ussd"},
        ),
        NetworkLogin.Answered: (
            Rule(
                public.OtpVerified,
                when=lambda e: bool(e.confirmed),
                compute={"request_id": _hex_id},
                const={**_NETWORK_LOGIN, "via": "ussd"},
            ),
            Rule(
                public.LoginFailed,
                compute={"request_id": _hex_id},
                const={"method": "network", "reason": "network_not_confirmed", "channel": "mobile"},
            ),
        ),
    },
    internal={
        OtpBox.Opened,
        OtpBox.TryFailed,
        Login.Opened,
        Login.PasswordRehashed,
        Login.NoticesChosen,
        Login.SessionClosed,
        Session.Refreshed,
        NetworkLogin.Completed,
    },
    envelope={"subject_id": _subject, "subject_kind": _subject_kind},
)
"""The relay's mapper of auth (`kabinet.relay.EventMapper`)."""
