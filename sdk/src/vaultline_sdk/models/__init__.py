"""Typed models: ``shared`` (bodies used across operations) and ``operations`` (one call's types)."""

from vaultline_sdk.models import operations, shared

__all__ = ["operations", "shared"]
