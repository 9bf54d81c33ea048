"""Python client for the Vaultline Vault API (Apideck Vault wire format)."""

__version__ = "0.1.0"
