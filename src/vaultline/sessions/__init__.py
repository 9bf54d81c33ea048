"""Vault sessions: the request that asks for one, minting (claims, token, durable rows through
the group-commit recorder) and verification on every use."""
