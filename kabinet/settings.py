"""Settings every kabinet process shares, read from `KABINET_*` environment variables.

Nothing here names a service: a service's own knobs are its settings module
(`KABINET_<SERVICE>_*`), and where each process answers is data (`ports`, `urls`) that
the application shell fills in from its registry (`Settings.addressed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal, Self

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Address(BaseSettings):
    """Where one named process answers: `KABINET_<NAME>_PORT` and `KABINET_<NAME>_URL`
    (read by `Address.of(name)`: the name is data, the kit knows no process)."""

    model_config = SettingsConfigDict(extra="ignore")

    port: int | None = None
    url: str | None = None

    @classmethod
    def of(cls, name: str) -> Address:
        return cls(_env_prefix=f"KABINET_{name.upper()}_")  # type: ignore[call-arg]


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
    stream_max_age_days: int = Field(default=0, ge=0, description="0 keeps events forever.")
    fault: str | None = Field(
        default=None, description="Test-only fault hook, e.g. exit_after_commit:3."
    )
    ports: dict[str, int] = Field(
        default_factory=dict, description="Each process's port, by name (see `addressed`)."
    )
    urls: dict[str, str] = Field(
        default_factory=dict, description="Each process's URL where it is not host and port."
    )

    def addressed(self, default_ports: Mapping[str, int]) -> Self:
        """A copy that knows where each of these processes answers: `KABINET_<NAME>_PORT`
        (else its default port) and `KABINET_<NAME>_URL`; ports and URLs set already win."""
        ports: dict[str, int] = {}
        urls: dict[str, str] = {}
        for name, default in default_ports.items():
            found = Address.of(name)
            ports[name] = found.port or default
            if found.url:
                urls[name] = found.url
        return self.model_copy(
            update={"ports": {**ports, **self.ports}, "urls": {**urls, **self.urls}}
        )

    def port_of(self, name: str) -> int:
        try:
            return self.ports[name]
        except KeyError:
            raise LookupError(f"no port is known for {name!r}") from None

    def url_of(self, name: str) -> str:
        """Where a process answers: `KABINET_<NAME>_URL` if set, else host and port."""
        return self.urls.get(name) or f"http://{self.host}:{self.port_of(name)}"

    @property
    def nats_servers(self) -> list[str]:
        """`KABINET_NATS_URL` may list several servers of a cluster, comma-separated."""
        return [url.strip() for url in (self.nats_url or "nats://127.0.0.1:4222").split(",")]

    def owns_partition(self, partition: int) -> bool:
        """Replica i of R handles partitions p ≡ i (mod R)."""
        return partition % self.replicas == self.replica % self.replicas
