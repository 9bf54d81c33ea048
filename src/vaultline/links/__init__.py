"""Vault links: URLs that mint a fresh session each time they are opened, optionally emailed."""
