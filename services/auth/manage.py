"""What a signed-in holder does with their sign-in: refresh, log out, list and end
sessions, set or change the password, choose login notices."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from kabinet.domain import NotFound
from kabinet.tokens import AccessClaims
from services.auth.application import Tokens
from services.auth.domain import AuthError, Client, NotAllowed, SignInFailed
from services.auth.logins import Login
from services.auth.sessions import Session, SessionRefused, parse_refresh
from services.auth.signin import SignIn

SESSION_ENDED = "the session has ended; sign in again"


class AuthApplication(SignIn):
    def refresh(self, refresh_token: str, client: Client) -> Tokens:
        now = self.clock.now()
        parsed = parse_refresh(refresh_token)
        if parsed is None:
            raise SignInFailed(SESSION_ENDED, field="refresh_token")
        session_id, presented = parsed

        def attempt() -> Tokens | str:
            session: Session | None = self.find(session_id)
            if session is None:
                return "unknown"
            try:
                token = session.refresh(presented, now, client)
            except SessionRefused as refused:
                if session.pending_events:
                    login = self.login_of(session.msisdn)
                    login.close_session(session.session_id)
                    self.save(session, login)
                return refused.reason
            self.save(session)
            return self.tokens(session, token, now)

        result = self.retrying_login(attempt)
        if isinstance(result, str):
            raise SignInFailed(SESSION_ENDED, field="refresh_token")
        return result

    def end_session(self, access_token: str, session_id: str | None, client: Client) -> None:
        """End the caller's own session (logout), or another of theirs (revoked)."""
        claims, current = self.caller(access_token)
        now = self.clock.now()
        target_id = session_id or current.session_id

        def attempt() -> None:
            target = self._own_session(claims, target_id)
            reason = "logout" if target.session_id == current.session_id else "revoked"
            target.end_if_open(reason, now, client.channel)
            login = self.login_of(target.msisdn)
            login.close_session(target.session_id)
            self.save(target, login)

        self.retrying_login(attempt)

    def _own_session(self, claims: AccessClaims, session_id: str) -> Session:
        try:
            found: Session | None = self.find(UUID(hex=session_id))
        except ValueError:
            found = None
        if found is None or found.subject_id != claims.subject:
            raise NotFound("no such session", field="session_id")
        return found

    def sessions(self, access_token: str) -> list[dict[str, Any]]:
        """The caller's open sessions, the current one marked."""
        claims, current = self.caller(access_token)
        now = self.clock.now()
        login = self.login_of(current.msisdn)
        listed = []
        for session_id in login.sessions:
            session: Session | None = self.find(UUID(hex=session_id))
            if session is None or session.subject_id != claims.subject:
                continue
            if session.is_open(now):
                listed.append(
                    {
                        "session_id": session.session_id,
                        "current": session.session_id == current.session_id,
                        "method": session.method,
                        "channel": session.channel,
                        "device": session.device,
                        "ip": session.ip,
                        "started_at": session.started_at.isoformat(),
                        "last_active_at": session.last_active_at.isoformat(),
                        "ends_at": session.ends_at().isoformat(),
                        "remember_me": session.remember_me,
                    }
                )
        return sorted(listed, key=lambda s: s["last_active_at"], reverse=True)

    def change_password(
        self, access_token: str, current_password: str | None, new_password: str, client: Client
    ) -> int:
        """Set, change or reset (after a recovery code) the password; every other session
        of the number ends. Returns how many ended."""
        claims, session = self.caller(access_token)
        if claims.kind != "subscriber":
            raise NotAllowed("only subscribers have a password here", field="Authorization")
        msisdn = session.msisdn
        self.passwords.check_new(new_password, msisdn)
        now = self.clock.now()
        login = self.login_of(msisdn)
        login.must_not_be_locked(now)
        how = "set" if login.password_digest is None else "changed"
        if how == "changed" and session.purpose == "password_reset":
            how = "reset"
        if how == "changed" and not self.passwords.matches(
            login.password_digest, current_password or ""
        ):
            self._count_failure(msisdn, client)
            raise SignInFailed("the current password is wrong", field="current_password")
        digest = self.passwords.hash(new_password)

        def attempt() -> int:
            login = self.login_of(msisdn)
            others = [self.find(UUID(hex=s)) for s in login.sessions if s != session.session_id]
            ended = [s for s in others if s is not None]
            for other in ended:
                other.end_if_open("password_changed", now, client.channel)
            login.set_password(digest, how, [s.session_id for s in ended], now=now, client=client)
            self.save(login, *ended)
            return len(ended)

        return self.retrying_login(attempt)

    def _count_failure(self, msisdn: str, client: Client) -> None:
        def attempt() -> None:
            login = self.login_of(msisdn)
            login.fail(
                "password", "wrong_credentials", known=True, policy=self.policy.delays,
                now=self.clock.now(), client=client,
            )  # fmt: skip
            self.save(login)

        self.retrying_login(attempt)

    def notices(self, access_token: str) -> dict[str, Any]:
        _, session = self.caller(access_token)
        login = self.login_of(session.msisdn)
        return {
            "notify_via": login.notify_via,
            "email": self.directory.email_of(session.msisdn),
            "password_set": login.password_digest is not None,
        }

    def choose_notices(self, access_token: str, notify_via: list[str]) -> dict[str, Any]:
        claims, session = self.caller(access_token)
        if claims.kind != "subscriber":
            raise NotAllowed("login notices are for subscribers", field="Authorization")
        if "email" in notify_via and not self.directory.email_of(session.msisdn):
            raise AuthError("add an e-mail address to your profile first", field="notify_via")

        def attempt() -> None:
            login: Login = self.login_of(session.msisdn)
            login.choose_notices(notify_via, self.clock.now())
            self.save(login)

        self.retrying_login(attempt)
        return self.notices(access_token)
