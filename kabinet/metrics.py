"""Prometheus metrics shared by every process."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RELAY_PUBLISHED = Counter(
    "kabinet_relay_published_total", "Events the relay published to JetStream", ["service"]
)
CONSUMER_APPLIED = Counter(
    "kabinet_consumer_applied_total",
    "Messages a consumer applied (effects committed)",
    ["service", "upstream"],
)
CONSUMER_DUPLICATES = Counter(
    "kabinet_consumer_duplicates_total",
    "Redelivered messages recognised by their tracked position",
    ["service", "upstream"],
)
DEAD_LETTERS = Counter(
    "kabinet_dead_letters_total",
    "Messages sent to the dead-letter subject",
    ["service", "upstream"],
)
HTTP_LATENCY = Histogram(
    "kabinet_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
