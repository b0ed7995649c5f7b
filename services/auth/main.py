"""Composition root of the auth service (its features arrive with their own issue)."""

from __future__ import annotations

from kabinet.runtime import ServiceParts
from kabinet.settings import Settings


def build(settings: Settings) -> ServiceParts:
    return ServiceParts(name="auth")
