"""Where the acquirer (or its simulator) is, and the secret that signs its callbacks."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AcquirerSettings(BaseSettings):
    """`KABINET_ACQUIRER_<FIELD>`; `kabinet up` generates the secret for each run."""

    model_config = SettingsConfigDict(env_prefix="KABINET_ACQUIRER_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8190
    url: str | None = None
    secret: str | None = Field(default=None, description="Shared HMAC secret of callbacks.")
    timeout: float = Field(
        default=1.0, gt=0, description="Payments' timeout per call (below the gateway's)."
    )
    callback_url: str | None = Field(
        default=None, description="Where the simulator sends callbacks (payments' own URL)."
    )
    hang_seconds: float = Field(default=5.0, ge=0, description="How long a 'timeout' card hangs.")

    @property
    def base_url(self) -> str:
        return self.url or f"http://{self.host}:{self.port}"
