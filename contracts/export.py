"""The contract as documents: one JSON Schema per event and an AsyncAPI 3.0 description.

Usage: `python -m contracts.export OUTDIR [--namespace NS]`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from contracts.registry import EVENTS
from contracts.subjects import DEFAULT_NAMESPACE, PRODUCERS, stream_name

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
HEADERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "Nats-Msg-Id": {
            "type": "string",
            "description": "<namespace>:<producer>:<position>, for dedup.",
        },
        "Kabinet-Position": {"type": "string", "description": "The event's position."},
    },
}
PARTITION = "crc32 of the partition key (the MSISDN, else the event's own key) mod P."


def json_schemas() -> dict[str, dict[str, Any]]:
    """Every registered event's JSON Schema, keyed `producer/Type/v<version>`."""
    return {
        f"{producer}/{type_}/v{version}": {
            "$schema": JSON_SCHEMA_DIALECT,
            **cls.model_json_schema(),
        }
        for (producer, type_, version), cls in EVENTS.items()
    }


def _component(key: str) -> str:
    return key.replace("/", ".")


def _message(schema: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        "name": schema["title"],
        "title": schema["title"],
        "summary": schema["description"],
        "contentType": "application/json",
        "headers": HEADERS,
        "payload": {"$ref": f"#/components/schemas/{_component(key)}"},
    }


def _channel(producer: str, keys: list[str], namespace: str) -> dict[str, Any]:
    return {
        "address": f"{namespace}.{producer}.{{partition}}.{{type}}",
        "title": f"Stream {stream_name(producer, namespace)}",
        "parameters": {
            "partition": {"description": PARTITION},
            "type": {
                "enum": sorted({key.split("/")[1] for key in keys}),
                "location": "$message.payload#/type",
            },
        },
        "messages": {
            _component(key): {"$ref": f"#/components/messages/{_component(key)}"} for key in keys
        },
    }


def asyncapi(namespace: str = DEFAULT_NAMESPACE) -> dict[str, Any]:
    """An AsyncAPI 3.0 document: one channel per producer stream, one message per event."""
    schemas = json_schemas()
    channels = {
        producer: _channel(
            producer, [k for k in schemas if k.startswith(f"{producer}/")], namespace
        )
        for producer in PRODUCERS
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "kabinet integration events",
            "version": "1",
            "description": "Event streams of the kabinet services, replayable from the start.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": {
            f"publish_{producer}": {"action": "send", "channel": {"$ref": f"#/channels/{producer}"}}
            for producer in channels
        },
        "components": {
            "schemas": {_component(key): schema for key, schema in schemas.items()},
            "messages": {_component(key): _message(schema, key) for key, schema in schemas.items()},
        },
    }


def _write(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m contracts.export", description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--namespace", default=DEFAULT_NAMESPACE)
    args = parser.parse_args(argv)
    for key, schema in json_schemas().items():
        _write(args.outdir / "schemas" / f"{key}.json", schema)
    _write(args.outdir / "asyncapi.json", asyncapi(args.namespace))


if __name__ == "__main__":
    main()
