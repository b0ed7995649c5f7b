"""The public event contract of kabinet: envelopes, typed payloads, subjects and streams.

Depends on pydantic only. Analytics consumers may vendor this package as it is.
"""
