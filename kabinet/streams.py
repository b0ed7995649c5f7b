"""JetStream streams: one per producer, file storage, long retention, dedup window."""

from __future__ import annotations

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StorageType, StreamConfig

from contracts.subjects import (
    dead_letter_stream,
    dead_letter_stream_subjects,
    stream_name,
    stream_subjects,
)
from kabinet.settings import Settings

DUPLICATE_WINDOW_SECONDS = 120.0


def producer_stream_config(producer: str, settings: Settings) -> StreamConfig:
    return StreamConfig(
        name=stream_name(producer, settings.namespace),
        subjects=stream_subjects(producer, settings.namespace),
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=settings.stream_max_age_days * 86400.0 or None,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=settings.stream_replicas,
        description=f"kabinet {producer} integration events",
    )


def dead_letter_stream_config(settings: Settings) -> StreamConfig:
    return StreamConfig(
        name=dead_letter_stream(settings.namespace),
        subjects=dead_letter_stream_subjects(settings.namespace),
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=settings.stream_replicas,
        description="kabinet messages no consumer could handle, with the reason",
    )


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    """Create the stream, or bring an existing one to this configuration."""
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError:
        await js.update_stream(config)
