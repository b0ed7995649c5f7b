"""Fault hooks for crash tests: `KABINET_FAULT=<point>:<n>` ends the process like kill -9.

Points: `exit_after_commit` (a consumer committed batch n, not yet acked) and
`exit_after_publish` (the relay published batch n, not yet tracked).
"""

from __future__ import annotations

import os

import structlog

log = structlog.get_logger("kabinet.faults")


def crash_point(fault: str | None, point: str, count: int) -> None:
    if not fault:
        return
    name, _, limit = fault.partition(":")
    if name == point and limit.isdigit() and count >= int(limit):
        log.warning("fault_injected", point=point, count=count)
        os._exit(137)
