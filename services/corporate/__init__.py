"""The corporate service."""
