"""Signed, durable webhooks: ``vault.connection.*`` events written to an outbox with the change
that caused them, then delivered at least once by a background worker."""
