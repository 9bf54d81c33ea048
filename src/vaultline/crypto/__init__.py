"""Encryption at rest: the master key and envelope encryption under it."""
