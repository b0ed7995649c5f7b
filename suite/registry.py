"""The one registry of the suite's processes: each service's composition root, the
gateway's factory, and every process's default port.

Each entry imports its process's code only when it is built, so a process loads (and
its `/metrics` shows) its own service alone; the imports are still plain statements
that type checkers and the import contract see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from kabinet.runtime import ServiceParts, create_service_app
from kabinet.settings import Settings


def _auth(settings: Settings) -> ServiceParts:
    from services.auth.main import build

    return build(settings)


def _account(settings: Settings) -> ServiceParts:
    from services.account.main import build

    return build(settings)


def _catalog(settings: Settings) -> ServiceParts:
    from services.catalog.main import build

    return build(settings)


def _payments(settings: Settings) -> ServiceParts:
    from services.payments.main import build

    return build(settings)


def _detailing(settings: Settings) -> ServiceParts:
    from services.detailing.main import build

    return build(settings)


def _corporate(settings: Settings) -> ServiceParts:
    from services.corporate.main import build

    return build(settings)


def _gateway(settings: Settings) -> FastAPI:
    from gateway.app import create_gateway

    return create_gateway(settings)


SERVICES: dict[str, Callable[[Settings], ServiceParts]] = {
    "auth": _auth,
    "account": _account,
    "catalog": _catalog,
    "payments": _payments,
    "detailing": _detailing,
    "corporate": _corporate,
}
GATEWAY: Callable[[Settings], FastAPI] = _gateway
PROCESSES: tuple[str, ...] = (*SERVICES, "gateway")

PORTS: dict[str, int] = {
    "gateway": 8000,
    "auth": 8101,
    "account": 8102,
    "catalog": 8103,
    "payments": 8104,
    "detailing": 8105,
    "corporate": 8106,
}
"""Default ports; `KABINET_<NAME>_PORT` and `KABINET_<NAME>_URL` override them."""


class UnknownProcess(LookupError):
    """A name that is neither the gateway nor a service of the registry."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown service {name!r}; one of: gateway, {', '.join(SERVICES)}")


def process_settings(**overrides: Any) -> Settings:
    """The settings of one of the suite's processes: the kit's, from the environment and
    these overrides, knowing where every process of the suite answers."""
    return Settings(**overrides).addressed(PORTS)


def build_app(name: str, settings: Settings) -> FastAPI:
    """The app of the gateway or of one service, built from its composition root."""
    if name == "gateway":
        return GATEWAY(settings)
    if name not in SERVICES:
        raise UnknownProcess(name)
    return create_service_app(SERVICES[name](settings), settings)
