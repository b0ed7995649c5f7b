"""Stream and subject naming, in one place.

Subjects: `<namespace>.<producer>.<partition>.<EventName>`; one stream per producer.
The default namespace `kabinet` gives the streams their plain names (`ACCOUNT`, ...);
another namespace (a second stack, a test) prefixes them (`T1_ACCOUNT`).
"""

from __future__ import annotations

import zlib

PRODUCERS: tuple[str, ...] = (
    "auth",
    "account",
    "catalog",
    "payments",
    "detailing",
    "corporate",
    "network",
)
DEFAULT_NAMESPACE = "kabinet"
DEAD_LETTER = "deadletter"


def stream_name(producer: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    base = producer.upper()
    return base if namespace == DEFAULT_NAMESPACE else f"{namespace.upper()}_{base}"


def stream_subjects(producer: str, namespace: str = DEFAULT_NAMESPACE) -> list[str]:
    return [f"{namespace}.{producer}.>"]


def partition_of(key: str, partitions: int) -> int:
    """Stable partition of a partition key (an MSISDN for subscriber events)."""
    return zlib.crc32(key.encode()) % partitions


def subject(
    producer: str, partition: int, event_type: str, namespace: str = DEFAULT_NAMESPACE
) -> str:
    return f"{namespace}.{producer}.{partition}.{event_type}"


def partition_filter(producer: str, partition: int, namespace: str = DEFAULT_NAMESPACE) -> str:
    return f"{namespace}.{producer}.{partition}.>"


def dead_letter_subject(consumer: str, producer: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    return f"{namespace}.{DEAD_LETTER}.{consumer}.{producer}"


def dead_letter_stream(namespace: str = DEFAULT_NAMESPACE) -> str:
    return stream_name(DEAD_LETTER, namespace)


def dead_letter_stream_subjects(namespace: str = DEFAULT_NAMESPACE) -> list[str]:
    return [f"{namespace}.{DEAD_LETTER}.>"]


def upstream_name(producer: str, partition: int) -> str:
    """The tracking name of one partition of a producer's stream."""
    return f"{producer}:{partition}"
