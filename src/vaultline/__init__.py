"""Vaultline: a self-hostable integration Vault speaking Apideck Vault's wire format."""

__version__ = "0.1.0"
