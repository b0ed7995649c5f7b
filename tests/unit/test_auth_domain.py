"""auth's aggregates, tokens and password rules, without servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.registry import parse_event
from kabinet import tokens
from kabinet.domain import Conflict
from services.auth import publishing
from services.auth.domain import AuthError, Client, DelayPolicy, SignInFailed, TooManyRequests
from services.auth.logins import Login
from services.auth.network import NetworkLogin
from services.auth.otp import OtpBox, Refusal, SendLimits
from services.auth.passwords import Passwords
from services.auth.sessions import Session, SessionLimits, SessionRefused, parse_refresh

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MSISDN = "79001234567"
WEB = Client("web", "203.0.113.7", "Firefox")


def digest(request_id: str, purpose: str, code: str) -> str:
    return f"{request_id}:{purpose}:{code}"


def issue(box: OtpBox, at: datetime = NOW, delivered: bool = True) -> tuple[str, str]:
    return box.issue(
        "login", digest, delivered=delivered, ttl=300, limits=SendLimits(1, 5), now=at,
        channel="web", ip=None,
    )  # fmt: skip


def verify(box: OtpBox, request_id: str, code: str, at: datetime = NOW) -> Refusal | str:
    return box.verify(request_id, code, digest, purpose=None, max_attempts=5, now=at, channel="web")


def test_a_code_is_six_random_digits_kept_only_as_a_digest() -> None:
    box = OtpBox.open(MSISDN)
    request_id, code = issue(box)
    assert len(code) == 6 and code.isdigit()
    assert box.current is not None and box.current["digest"] == digest(request_id, "login", code)
    assert verify(box, request_id, code) == "login"


def test_a_new_code_cancels_the_previous_one() -> None:
    box = OtpBox.open(MSISDN)
    first_id, first_code = issue(box)
    issue(box, NOW + timedelta(minutes=1))
    assert verify(box, first_id, first_code) == Refusal("otp_cancelled", 0)


def test_a_code_expires_after_its_ttl_and_is_single_use() -> None:
    box = OtpBox.open(MSISDN)
    request_id, code = issue(box)
    assert verify(box, request_id, code, NOW + timedelta(seconds=300)) == Refusal("otp_expired", 0)
    again = OtpBox.open(MSISDN)
    request_id, code = issue(again)
    assert verify(again, request_id, code) == "login"
    assert verify(again, request_id, code) == Refusal("otp_used", 0)


def test_the_fifth_wrong_try_burns_the_code() -> None:
    box = OtpBox.open(MSISDN)
    request_id, code = issue(box)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    refusals = [verify(box, request_id, wrong) for _ in range(5)]
    assert [r.reason for r in refusals if isinstance(r, Refusal)] == [
        *["wrong_credentials"] * 4,
        "too_many_attempts",
    ]
    assert verify(box, request_id, code) == Refusal("too_many_attempts", 5)


def test_a_stand_in_code_for_a_number_that_may_not_sign_in_never_verifies() -> None:
    box = OtpBox.open(MSISDN)
    request_id, code = issue(box, delivered=False)
    assert verify(box, request_id, code) == Refusal("wrong_credentials", 1)


def test_sends_are_limited_per_minute_and_per_hour() -> None:
    box = OtpBox.open(MSISDN)
    issue(box)
    with pytest.raises(TooManyRequests) as too_soon:
        issue(box, NOW + timedelta(seconds=10))
    for minute in range(1, 5):
        issue(box, NOW + timedelta(minutes=minute))
    with pytest.raises(TooManyRequests) as hourly:
        issue(box, NOW + timedelta(minutes=30))
    assert too_soon.value.retry_after == 50
    assert hourly.value.retry_after == 30 * 60
    assert too_soon.value.headers == {"Retry-After": "50"}


def test_failed_logins_bring_growing_delays_up_to_a_ceiling() -> None:
    policy = DelayPolicy(free=3, longest=60)
    assert [policy.locked_until(n, NOW) for n in (1, 2)] == [None, None]
    delays = [(policy.locked_until(n, NOW) or NOW) - NOW for n in (3, 4, 5, 9, 30)]
    assert [d.total_seconds() for d in delays] == [1, 2, 4, 60, 60]


def test_a_login_success_clears_its_failures_and_lock() -> None:
    login = Login.open(MSISDN)
    for _ in range(4):
        login.fail("password", "wrong_credentials", known=True, policy=DelayPolicy(),
                   now=NOW, client=WEB)  # fmt: skip
    with pytest.raises(TooManyRequests):
        login.must_not_be_locked(NOW)
    session, _ = start()
    login.succeed("password", session, now=NOW, client=WEB)
    login.must_not_be_locked(NOW)
    assert (login.failures, login.sessions) == (0, [session.session_id])


def start(remember_me: bool = False) -> tuple[Session, str]:
    return Session.start(
        MSISDN, "subscriber", MSISDN, method="otp", remember_me=remember_me,
        limits=SessionLimits(), now=NOW, client=WEB,
    )  # fmt: skip


def test_a_refresh_token_is_opaque_random_and_rotated_on_every_use() -> None:
    session, first = start()
    parsed = parse_refresh(first)
    assert parsed is not None and parsed[0] == session.id
    assert len(first.split(".", 1)[1]) >= 43  # 256 bits, base64url
    assert parsed[1] == session.digest and first not in str(vars(session))
    second = session.refresh(parsed[1], NOW + timedelta(minutes=5), WEB)
    assert second != first
    with pytest.raises(SessionRefused) as reused:
        session.refresh(parsed[1], NOW + timedelta(minutes=6), WEB)
    assert reused.value.reason == "reuse_detected"
    assert session.ended == "reuse_detected"


def test_a_session_ends_after_30_idle_minutes_or_12_hours_unless_remembered() -> None:
    session, _ = start()
    assert session.limit_reached(NOW + timedelta(minutes=29)) is None
    assert session.limit_reached(NOW + timedelta(minutes=30)) == "idle"
    remembered, _ = start(remember_me=True)
    assert remembered.limit_reached(NOW + timedelta(days=29)) is None
    assert remembered.limit_reached(NOW + timedelta(days=30)) == "absolute"
    assert session.ends_at() == NOW + timedelta(minutes=30)


def test_a_network_login_completes_only_once_confirmed_by_its_own_number() -> None:
    pending = NetworkLogin.request(MSISDN, 120, NOW, WEB)
    assert pending.ready(MSISDN, NOW) is False
    with pytest.raises(SignInFailed):
        pending.ready("79007654321", NOW)
    pending.answer(MSISDN, "1", NOW)
    assert pending.ready(MSISDN, NOW) is True
    with pytest.raises(Conflict):
        pending.answer(MSISDN, "1", NOW)
    declined = NetworkLogin.request(MSISDN, 120, NOW, WEB)
    declined.answer(MSISDN, "2", NOW)
    with pytest.raises(SignInFailed):
        declined.ready(MSISDN, NOW)


def test_an_access_token_verifies_with_the_public_key_until_it_expires() -> None:
    private = Ed25519PrivateKey.generate()
    claims = tokens.AccessClaims(MSISDN, "subscriber", "s1", NOW + timedelta(minutes=5), MSISDN)
    token = tokens.sign(private, claims, NOW)
    keys = tokens.keys_of({"keys": [tokens.public_jwk(private.public_key())]})
    assert tokens.verify(token, keys, NOW + timedelta(minutes=4)) == claims
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(token, keys, NOW + timedelta(minutes=5))
    with pytest.raises(tokens.UnknownKey):
        tokens.verify(token, {}, NOW)


def test_a_new_password_is_long_enough_uncommon_and_not_the_number() -> None:
    rules = Passwords()
    rules.check_new("зелёный-чайник", MSISDN)
    for weak in ("short", "12345678", "aaaaaaaaaaaa", f"my{MSISDN[1:]}"):
        with pytest.raises(AuthError):
            rules.check_new(weak, MSISDN)


def test_a_stored_password_is_an_argon2id_hash_and_a_missing_one_never_matches() -> None:
    rules = Passwords()
    stored = rules.hash("зелёный-чайник")
    assert stored.startswith("$argon2id$")
    assert rules.matches(stored, "зелёный-чайник")
    assert not rules.matches(stored, "другой")
    assert not rules.matches(None, "зелёный-чайник")


def test_public_events_carry_no_digest_and_the_stand_in_codes_are_not_published() -> None:
    box = OtpBox.open(MSISDN)
    issue(box, delivered=False)
    issue(box, NOW + timedelta(minutes=1))
    events = [publishing.to_public(e, i + 1) for i, e in enumerate(box.collect_events())]
    published = [e for e in events if e is not None]
    assert [e.type for e in published] == ["OtpIssued"]
    text = published[0].model_dump_json()
    assert "digest" not in text and box.current is not None
    assert box.current["digest"] not in text
    assert parse_event(text) == published[0]
