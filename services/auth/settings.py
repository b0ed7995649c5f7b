"""Auth's own settings: sign-in, codes, sessions, SMS and mail (`KABINET_AUTH_<FIELD>`).

Which proxies may name a caller's number is the gateway's to check, so those two
(`KABINET_AUTH_TRUSTED_PROXIES`, `KABINET_AUTH_NETWORK_HEADER`) are in gateway/settings.py.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseSettings):
    """Each field is the variable `KABINET_AUTH_<FIELD>`, e.g. `KABINET_AUTH_OTP_TTL`."""

    model_config = SettingsConfigDict(env_prefix="KABINET_AUTH_", extra="ignore")

    access_ttl: int = Field(
        default=300, ge=30, le=600, description="Seconds an access token (JWT) is valid."
    )
    idle_timeout: int = Field(
        default=30 * 60, ge=60, description="A session ends after this many idle seconds."
    )
    absolute_timeout: int = Field(
        default=12 * 3600, ge=60, description="A session ends this long after it started."
    )
    remember_me_timeout: int = Field(
        default=30 * 86400, ge=60, description="Idle and absolute limit with 'remember me'."
    )
    otp_ttl: int = Field(default=300, ge=30, le=900, description="Seconds a code is valid.")
    otp_max_attempts: int = Field(default=5, ge=1, le=10)
    otp_number_per_minute: int = Field(default=1, ge=1, description="Codes per number.")
    otp_number_per_hour: int = Field(default=5, ge=1, description="Codes per number.")
    otp_ip_per_hour: int = Field(default=60, ge=1, description="Codes per client IP.")
    login_ip_per_hour: int = Field(
        default=300, ge=1, description="Password login attempts per client IP."
    )
    otp_pepper: str | None = Field(
        default=None,
        description="Key of the codes' HMAC; unset: one is made once and kept in auth's schema.",
    )
    free_failures: int = Field(
        default=3, ge=1, description="Failed logins of a number before delays start."
    )
    max_delay: int = Field(
        default=900, ge=1, description="Longest delay, in seconds, after failed logins."
    )
    network_ttl: int = Field(default=120, ge=10, description="Seconds to confirm by USSD.")
    ussd_callback_key: str | None = Field(
        default=None, description="Bearer key the USSD gateway sends on its callback."
    )
    sms_provider_url: str | None = None
    sms_provider_key: str | None = None
    sms_hourly_cap: int = Field(
        default=1_000, ge=0, description="Most SMS sent per hour; beyond it, refused + alarm."
    )
    sms_retries: int = Field(default=3, ge=0, le=10)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "kabinet@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
