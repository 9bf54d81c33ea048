"""Data access, one module per aggregate; keyword-only async functions on a connection."""
