"""Settings of every kabinet process, read from `KABINET_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES: tuple[str, ...] = ("auth", "account", "catalog", "payments", "detailing", "corporate")

DEFAULT_PORTS: dict[str, int] = {
    "gateway": 8000,
    "auth": 8101,
    "account": 8102,
    "catalog": 8103,
    "payments": 8104,
    "detailing": 8105,
    "corporate": 8106,
}


class Settings(BaseSettings):
    """One object for every knob; each field is the variable `KABINET_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="KABINET_", extra="ignore")

    profile: Literal["dev", "prod"] = "dev"
    namespace: str = Field(
        default="kabinet",
        pattern=r"^[a-z][a-z0-9_]{0,30}$",
        description="Root of NATS subjects, prefix of stream names and database schemas.",
    )
    database_url: str | None = None
    nats_url: str | None = None
    var_dir: Path = Path("var")
    host: str = "127.0.0.1"
    gateway_port: int = DEFAULT_PORTS["gateway"]
    auth_port: int = DEFAULT_PORTS["auth"]
    account_port: int = DEFAULT_PORTS["account"]
    catalog_port: int = DEFAULT_PORTS["catalog"]
    payments_port: int = DEFAULT_PORTS["payments"]
    detailing_port: int = DEFAULT_PORTS["detailing"]
    corporate_port: int = DEFAULT_PORTS["corporate"]
    nats_port: int = 4322
    partitions: int = Field(default=16, ge=1, le=1024)
    replica: int = Field(default=0, ge=0)
    replicas: int = Field(default=1, ge=1)
    ops_token: str | None = None
    log_level: str = "INFO"
    log_json: bool | None = None
    consumer_batch: int = Field(default=2_000, ge=1, le=10_000)
    consumer_ack_wait: float = Field(default=30.0, gt=0)
    relay_batch: int = Field(default=1_000, ge=1, le=10_000)
    relay_in_flight: int = Field(default=1_000, ge=1, le=10_000)
    relay_idle_poll: float = Field(
        default=0.05, gt=0, description="Seconds between log polls when idle."
    )
    consistency_wait: float = Field(
        default=5.0, ge=0, description="Longest wait for a consistency token."
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    service_timeout: float = Field(default=2.0, gt=0, description="Gateway's per-call timeout.")
    db_pool_size: int = Field(default=5, ge=1)
    worker_threads: int = Field(
        default=8, ge=2, le=256, description="Threads for blocking calls in each process."
    )
    stream_replicas: int = Field(
        default=1, ge=1, le=5, description="JetStream replicas per stream."
    )
    auth_url: str | None = None
    account_url: str | None = None
    catalog_url: str | None = None
    payments_url: str | None = None
    detailing_url: str | None = None
    corporate_url: str | None = None
    stream_max_age_days: int = Field(default=0, ge=0, description="0 keeps events forever.")
    fault: str | None = Field(
        default=None, description="Test-only fault hook, e.g. exit_after_commit:3."
    )

    # auth: sign-in, codes, sessions (KABINET_AUTH_*)
    auth_access_ttl: int = Field(
        default=300, ge=30, le=600, description="Seconds an access token (JWT) is valid."
    )
    auth_idle_timeout: int = Field(
        default=30 * 60, ge=60, description="A session ends after this many idle seconds."
    )
    auth_absolute_timeout: int = Field(
        default=12 * 3600, ge=60, description="A session ends this long after it started."
    )
    auth_remember_me_timeout: int = Field(
        default=30 * 86400, ge=60, description="Idle and absolute limit with 'remember me'."
    )
    auth_otp_ttl: int = Field(default=300, ge=30, le=900, description="Seconds a code is valid.")
    auth_otp_max_attempts: int = Field(default=5, ge=1, le=10)
    auth_otp_number_per_minute: int = Field(default=1, ge=1, description="Codes per number.")
    auth_otp_number_per_hour: int = Field(default=5, ge=1, description="Codes per number.")
    auth_otp_ip_per_hour: int = Field(default=60, ge=1, description="Codes per client IP.")
    auth_login_ip_per_hour: int = Field(
        default=300, ge=1, description="Password login attempts per client IP."
    )
    auth_otp_pepper: str | None = Field(
        default=None,
        description="Key of the codes' HMAC; unset: one is made once and kept in auth's schema.",
    )
    auth_free_failures: int = Field(
        default=3, ge=1, description="Failed logins of a number before delays start."
    )
    auth_max_delay: int = Field(
        default=900, ge=1, description="Longest delay, in seconds, after failed logins."
    )
    auth_trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses/networks of the operator's enriching proxies.",
    )
    auth_network_header: str = Field(
        default="X-Msisdn", description="Header in which a trusted proxy names the number."
    )
    auth_network_ttl: int = Field(default=120, ge=10, description="Seconds to confirm by USSD.")
    auth_ussd_callback_key: str | None = Field(
        default=None, description="Bearer key the USSD gateway sends on its callback."
    )
    auth_sms_provider_url: str | None = None
    auth_sms_provider_key: str | None = None
    auth_sms_hourly_cap: int = Field(
        default=1_000, ge=0, description="Most SMS sent per hour; beyond it, refused + alarm."
    )
    auth_sms_retries: int = Field(default=3, ge=0, le=10)
    auth_smtp_host: str | None = None
    auth_smtp_port: int = 25
    auth_smtp_sender: str = "kabinet@localhost"
    auth_smtp_user: str | None = None
    auth_smtp_password: str | None = None
    auth_smtp_starttls: bool = False

    def port_of(self, name: str) -> int:
        port: int = getattr(self, f"{name}_port")
        return port

    def url_of(self, name: str) -> str:
        """Where a service answers: `KABINET_<NAME>_URL` if set, else host and port."""
        configured: str | None = getattr(self, f"{name}_url", None)
        return configured or f"http://{self.host}:{self.port_of(name)}"

    @property
    def nats_servers(self) -> list[str]:
        """`KABINET_NATS_URL` may list several servers of a cluster, comma-separated."""
        return [url.strip() for url in (self.nats_url or "nats://127.0.0.1:4222").split(",")]

    def owns_partition(self, partition: int) -> bool:
        """Replica i of R handles partitions p ≡ i (mod R)."""
        return partition % self.replicas == self.replica % self.replicas


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
