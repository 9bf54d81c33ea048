"""Email: sending a plain-text message over SMTP, and the worker that delivers the outbox."""
