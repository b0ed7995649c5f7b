"""The detailing service."""
