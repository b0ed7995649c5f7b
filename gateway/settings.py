"""The gateway's own settings, and the services it calls by name.

Where each service answers comes from the kit's `Settings.url_of(name)`
(`KABINET_<NAME>_URL`, else the host and `KABINET_<NAME>_PORT`, whose defaults the
application shell fills in).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kabinet.settings import Settings

UPSTREAMS: tuple[str, ...] = ("auth", "account", "catalog", "payments", "detailing", "corporate")
"""The services behind the gateway."""


def upstream_urls(settings: Settings) -> dict[str, str]:
    """Each upstream's base URL, without a trailing slash."""
    return {name: settings.url_of(name).rstrip("/") for name in UPSTREAMS}


class GatewaySettings(BaseSettings):
    """Network sign-in: which proxies of the operator may name the caller's number.

    The variables keep their names from when sign-in's settings were one object:
    `KABINET_AUTH_TRUSTED_PROXIES`, `KABINET_AUTH_NETWORK_HEADER`.
    """

    model_config = SettingsConfigDict(env_prefix="KABINET_AUTH_", extra="ignore")

    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses/networks of the operator's enriching proxies.",
    )
    network_header: str = Field(
        default="X-Msisdn", description="Header in which a trusted proxy names the number."
    )
