"""Defaults shared by both clients: timeouts, retry pacing and the environment variables read."""

from __future__ import annotations

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2

# Backoff: 0.5 s, 1 s, 2 s … capped at 8 s, each shortened by up to a quarter at random so that
# many clients failing together do not retry in lockstep.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A server asking for a longer pause than this is better answered with an error than a hang.
MAX_RETRY_AFTER = 60.0

ENV_API_KEY = "VAULTLINE_API_KEY"
ENV_APP_ID = "VAULTLINE_APP_ID"
ENV_SERVER_URL = "VAULTLINE_SERVER_URL"

APP_ID_HEADER = "x-apideck-app-id"
CONSUMER_ID_HEADER = "x-apideck-consumer-id"
AUTH_TYPE_HEADER = "x-apideck-auth-type"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REQUEST_ID_HEADER = "x-request-id"

SESSION_TOKEN_AUDIENCE = "vaultline-session"
JWKS_PATH = "/.well-known/jwks.json"
