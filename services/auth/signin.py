"""Signing in: one-time SMS codes, number + password, and network login by USSD.

Unknown and known numbers take the same path and get the same answers: a code is
"issued" for both (only a known number's is sent), limits and failures count for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kabinet.domain import NotFound
from services.auth.application import AuthBase, Tokens
from services.auth.domain import Client, NotAllowed, SignInFailed
from services.auth.network import NetworkLogin
from services.auth.otp import OtpBox, Refusal

CODE_FAILED = "the code is wrong, expired or no longer valid; request a new one"
PASSWORD_FAILED = "wrong number or password"


@dataclass(frozen=True)
class CodeRequest:
    request_id: str
    expires_at: datetime
    code: str | None  # None: nothing is to be sent


class SignIn(AuthBase):
    def request_code(self, msisdn: str, purpose: str, client: Client) -> CodeRequest:
        now = self.clock.now()
        delivered = self.directory.may_receive_code(msisdn, purpose)

        def attempt() -> CodeRequest:
            box: OtpBox = self.find(OtpBox.id_for(msisdn)) or OtpBox.open(msisdn)
            request_id, code = box.issue(
                purpose,
                lambda rid, p, c: self.keys.code_digest(msisdn, rid, p, c),
                delivered=delivered,
                ttl=self.policy.otp_ttl,
                limits=self.policy.sends,
                now=now,
                channel=client.channel,
                ip=client.ip,
            )
            self.take_quota("otp", client.ip, self.policy.otp_ip_per_hour, now)
            self.save(box)
            return CodeRequest(request_id, box.current["expires_at"], code if delivered else None)  # type: ignore[index]

        return self.retrying_login(attempt)

    def verify_code(
        self,
        msisdn: str,
        request_id: str,
        code: str,
        *,
        purpose: str | None,
        remember_me: bool,
        client: Client,
    ) -> Tokens:
        now = self.clock.now()

        def attempt() -> Tokens | Refusal:
            box: OtpBox | None = self.find(OtpBox.id_for(msisdn))
            login = self.login_of(msisdn)
            login.must_not_be_locked(now)
            outcome: Refusal | str = Refusal("wrong_credentials", 0)
            if box is not None:
                outcome = box.verify(
                    request_id,
                    code,
                    lambda rid, p, c: self.keys.code_digest(msisdn, rid, p, c),
                    purpose=purpose,
                    max_attempts=self.policy.otp_max_attempts,
                    now=now,
                    channel=client.channel,
                )
            if isinstance(outcome, Refusal):
                known = self.directory.may_sign_in(msisdn)
                login.fail(
                    "otp",
                    outcome.reason,
                    known=known,
                    policy=self.policy.delays,
                    now=now,
                    client=client,
                    request_id=request_id,
                )
                self.save(*(a for a in (box, login) if a is not None))
                return outcome
            admin = None
            if outcome == "corporate_login":
                admin = self.directory.admin_of(msisdn)
                if admin is None:
                    raise NotAllowed("this number may not sign in", field="msisdn")
            elif not self.directory.may_sign_in(msisdn):
                raise NotAllowed("this number may not sign in", field="msisdn")
            session, tokens = self.open_session(
                login, "otp", remember_me=remember_me, now=now, client=client,
                purpose=outcome, admin=admin,
            )  # fmt: skip
            self.save(box, login, session)
            return tokens

        result = self.retrying_login(attempt)
        if isinstance(result, Refusal):
            raise SignInFailed(CODE_FAILED, field="code")
        return result

    def password_login(
        self, msisdn: str, password: str, *, remember_me: bool, client: Client
    ) -> Tokens:
        now = self.clock.now()
        self.take_quota("login", client.ip, self.policy.login_ip_per_hour, now)
        first = self.login_of(msisdn)
        first.must_not_be_locked(now)
        allowed = self.directory.may_sign_in(msisdn)
        matches = self.passwords.matches(first.password_digest if allowed else None, password)
        barred = not allowed and self.directory.subscriber(msisdn) is not None

        def attempt() -> Tokens | None:
            login = self.login_of(msisdn)
            if not matches:
                login.fail(
                    "password",
                    "suspended" if barred else "wrong_credentials",
                    known=allowed,
                    policy=self.policy.delays,
                    now=now,
                    client=client,
                )
                self.save(login)
                return None
            digest = login.password_digest
            if digest is not None and self.passwords.needs_rehash(digest):
                login.rehash(self.passwords.hash(password))
            session, tokens = self.open_session(
                login, "password", remember_me=remember_me, now=now, client=client
            )
            self.save(login, session)
            return tokens

        result = self.retrying_login(attempt)
        if result is None:
            raise SignInFailed(PASSWORD_FAILED, field="password")
        return result

    def request_network_login(self, msisdn: str, client: Client) -> NetworkLogin:
        """The number came from the operator's network, not from the user: no enumeration
        concern, so a number that may not sign in is told so."""
        if not self.directory.may_receive_code(msisdn, "login"):
            raise NotAllowed("network login is not available for this number", field="msisdn")
        login = NetworkLogin.request(msisdn, self.policy.network_ttl, self.clock.now(), client)
        self.save(login)
        return login

    def network_login(self, request_id: str) -> NetworkLogin:
        found: NetworkLogin | None = self.find(NetworkLogin.id_of(request_id))
        if found is None:
            raise NotFound("no such network login", field="request_id")
        return found

    def answer_network_login(self, request_id: str, msisdn: str, answer: str) -> None:
        login = self.network_login(request_id)
        login.answer(msisdn, answer, self.clock.now())
        self.save(login)

    def complete_network_login(
        self, request_id: str, msisdn: str, *, remember_me: bool, client: Client
    ) -> Tokens | None:
        """Tokens once the phone confirmed; None while it has not answered yet."""
        now = self.clock.now()

        def attempt() -> Tokens | None:
            pending = self.network_login(request_id)
            if not pending.ready(msisdn, now):
                return None
            login = self.login_of(msisdn)
            session, tokens = self.open_session(
                login, "network", remember_me=remember_me, now=now, client=client
            )
            pending.complete(session.session_id, now)
            self.save(pending, login, session)
            return tokens

        return self.retrying_login(attempt)
