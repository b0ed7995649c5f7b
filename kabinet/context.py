"""Correlation and causation ids carried across HTTP, NATS and stored events."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

import structlog

CORRELATION_HEADER = "X-Correlation-ID"

_correlation_id: ContextVar[str] = ContextVar("correlation_id", default="")
_causation_id: ContextVar[str] = ContextVar("causation_id", default="")


def new_id() -> str:
    return uuid.uuid4().hex


def correlation_id() -> str:
    return _correlation_id.get()


def causation_id() -> str:
    return _causation_id.get()


def bind(correlation: str | None, causation: str = "") -> str:
    """Bind ids for the current task (and its log lines); returns the correlation id."""
    value = correlation or new_id()
    _correlation_id.set(value)
    _causation_id.set(causation)
    structlog.contextvars.bind_contextvars(correlation_id=value)
    return value
