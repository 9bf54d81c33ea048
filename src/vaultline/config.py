"""Vaultline's one settings object, read from ``VAULTLINE_*`` environment variables.

Validated once at start-up; everything else receives a ``Settings`` instance instead of
reading the environment itself.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from vaultline.smtp_url import InvalidSmtpUrl, parse_smtp_url
from vaultline.strict_url import InvalidUrl, parse_strict_url

# The longest session a caller may ask for. Signing keys live at least this long after
# they stop signing, so every token they signed can still be verified.
MAX_SESSION_SECONDS = 7 * 24 * 3600
# A bearer token short enough to guess is no protection for the operator's figures.
MIN_METRICS_TOKEN_LENGTH = 16


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VAULTLINE_", extra="ignore", frozen=True)

    data_dir: Path = Path(".vaultline")
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL for production; unset means the embedded SQLite file.",
    )
    master_key: SecretStr | None = Field(
        default=None,
        description="base64url of 32 random bytes; generated into the data dir on SQLite only.",
    )
    public_url: str = "http://127.0.0.1:8000"
    # How often every instance re-reads the signing key ring, so `vaultline keys rotate`
    # reaches running servers within a few seconds.
    key_refresh_seconds: float = 2.0
    # How long a verified API key is trusted from memory before the database is asked again.
    api_key_cache_seconds: float = 5.0
    access_log: bool = True
    auto_migrate: bool = True
    # PostgreSQL connections kept open per process (a quarter more may open under bursts, and are
    # closed again: opening one costs far more than a request). A request holds one for its reads,
    # so size it to the concurrent requests a process serves; 2 workers x 40 stay under
    # PostgreSQL's default max_connections of 100.
    db_pool_size: int = 32
    # Record every Vault API call made for a consumer (GET /vault/logs); off only to measure its cost.
    consumer_logs: bool = True
    # Consumer log rows older than this are deleted by a background task on every instance.
    log_retention_days: int = Field(default=30, ge=1, le=3650)
    catalog_file: Path | None = Field(
        default=None,
        description="A JSON file of extra integration definitions, merged over the built-in catalog.",
    )
    # Webhook and OAuth URLs resolving to private, loopback or link-local addresses are refused
    # unless this is true (a server on the same network as its receivers, or tests).
    allow_private_webhooks: bool = False
    # Webhook delivery: the first retry waits ~base seconds, each next one twice as long (with
    # jitter), at most max seconds; after max_attempts the event is dead-lettered.
    webhook_retry_base_seconds: float = Field(default=1.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_max_attempts: int = Field(default=15, ge=1)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    # How often an instance looks for due events another instance (or the CLI) enqueued.
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    # OAuth tokens kept alive by a background worker in every serving process (docs/token-refresh.md).
    # Off only for a deployment where something else refreshes them; reads still refresh on demand.
    token_refresh_worker: bool = True
    # How often the worker looks for tokens due; a pass that finds a full batch looks again at once.
    token_refresh_poll_seconds: float = Field(default=30.0, gt=0)
    # Refresh this long before the access token expires (at most half its lifetime), well above
    # the 60 s a read leaves, so a backend never waits on the provider.
    token_refresh_margin_seconds: int = Field(default=600, ge=60)
    # Refresh tokens of providers that revoke unused ones (catalog: oauth.revokes_idle_refresh_tokens)
    # are used at least this often even when the access token lives longer.
    token_refresh_idle_seconds: int = Field(default=86_400, ge=600)
    # After a failed refresh the next try waits ~base seconds, twice as long after each further
    # failure (with jitter), at most max seconds.
    token_refresh_retry_base_seconds: float = Field(default=60.0, gt=0)
    token_refresh_retry_max_seconds: float = Field(default=3600.0, gt=0)
    # This many failures in a row (or one when the access token has expired) make the connection
    # ``pending_refresh``; if refreshes still fail when the retention window ends, ``needs_auth``.
    token_refresh_pending_after_failures: int = Field(default=3, ge=1)
    token_refresh_retention_seconds: int = Field(default=7 * 86_400, ge=0)
    # Connections one pass handles (4 at a time, each holding a database connection while the
    # provider answers).
    token_refresh_batch: int = Field(default=50, ge=1, le=1000)
    # Verifying API-key and basic credentials with the provider (docs/verification-and-health.md):
    # when they are entered or changed and on POST …/validate, with the integration's
    # ``verification`` request. Off: only the local checks (presence, format) decide.
    verify_credentials: bool = True
    verification_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Every connection the provider accepted is asked again after this many hours (a key revoked
    # at the provider turns ``invalid``); 0 turns the periodic re-verification off.
    reverify_hours: float = Field(default=24.0, ge=0)
    # A provider that could not be asked (unreachable, 429, 5xx) is asked again after ~base
    # seconds, then twice as long each time (with jitter), at most max seconds apart.
    verification_retry_base_seconds: float = Field(default=60.0, gt=0)
    verification_retry_max_seconds: float = Field(default=3600.0, gt=0)
    # How often each serving process looks for connections due for verification.
    verification_poll_seconds: float = Field(default=30.0, gt=0)
    # Failed authentications (unknown API keys, invalid session tokens) per client address: after
    # this many within the window, further invalid attempts from that address get 429 before any
    # database query, until the window ends. Valid credentials keep working. 0 turns it off.
    auth_throttle_failures: int = Field(default=20, ge=0)
    auth_throttle_window_seconds: int = Field(default=60, ge=1, le=86_400)
    # Bounds the memory the per-instance counters take (~200 bytes per address).
    auth_throttle_max_addresses: int = Field(default=100_000, ge=100)
    # Shares the throttle's counters between instances; unset means each instance counts alone.
    redis_url: SecretStr | None = None
    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For / X-Forwarded-Proto
    # are believed. Empty: the client address is the connecting peer, whatever it claims.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    # Limits for a server facing the internet directly (a reverse proxy may set tighter ones).
    # Request line and headers together; a 4 KB session token fits twice, as header and cookie.
    max_header_bytes: int = Field(default=32 * 1024, ge=4096, le=1024 * 1024)
    # A request's headers must all arrive within this many seconds of the connection opening or
    # the request beginning; slower connections are closed (slowloris).
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # A request's body (at most 64 KB) must arrive within this many seconds of its headers;
    # slower requests are answered 408 and their connection closed.
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # Open connections per worker process; past it requests are answered 503.
    max_connections: int = Field(default=1000, ge=1)
    # GET /metrics answers only with `Authorization: Bearer <this>`; unset, it answers 404.
    metrics_token: SecretStr | None = None
    # Where Vault link emails go (smtp_url.py): smtp://user:password@host:port?from=addr, or smtps://.
    # Unset: POST /vault/links refuses send_to.
    smtp_url: SecretStr | None = None
    # Email delivery from the outbox: retries back off from base seconds, doubling (with jitter) up
    # to max seconds; after max_attempts the message is given up (and erased).
    email_retry_base_seconds: float = Field(default=30.0, gt=0)
    email_retry_max_seconds: float = Field(default=3600.0, gt=0)
    email_max_attempts: int = Field(default=12, ge=1)
    email_timeout_seconds: float = Field(default=20.0, gt=0)

    @field_validator("public_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("VAULTLINE_PUBLIC_URL must start with http:// or https://")
        try:
            parse_strict_url(value)
        except InvalidUrl as exc:  # its origin is compared with browsers' Origin headers
            raise ValueError(f"VAULTLINE_PUBLIC_URL {exc}") from None
        return value.rstrip("/")

    @field_validator("metrics_token")
    @classmethod
    def _long_enough_metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None  # an empty variable means "off", not "any empty bearer token"
        if len(value.get_secret_value()) < MIN_METRICS_TOKEN_LENGTH:
            raise ValueError(f"VAULTLINE_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} characters")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _usable_smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            parse_smtp_url(value.get_secret_value())
        except InvalidSmtpUrl as exc:
            raise ValueError(f"VAULTLINE_SMTP_URL {exc}") from None
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_trusted_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        networks = []
        for entry in value:
            try:
                networks.append(str(ipaddress.ip_network(entry, strict=False)))
            except ValueError:
                raise ValueError(
                    f"VAULTLINE_TRUSTED_PROXIES: {entry!r} is not an IP address or network such as 10.0.0.0/8"
                ) from None
        return tuple(networks)

    @property
    def serves_https(self) -> bool:
        """Whether browsers reach us over https: cookies are then marked Secure."""
        return self.public_url.startswith("https://")

    @property
    def backend(self) -> Literal["sqlite", "postgresql"]:
        if self.database_url and self.database_url.startswith(("postgres://", "postgresql")):
            return "postgresql"
        return "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "vaultline.db"

    @property
    def async_database_url(self) -> str:
        """The SQLAlchemy URL with the async driver this backend uses."""
        url = self.database_url
        if url is None:
            return f"sqlite+aiosqlite:///{self.sqlite_path}"
        if url.startswith("sqlite:"):
            return "sqlite+aiosqlite:" + url.removeprefix("sqlite:")
        for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://", "postgresql+psycopg2://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url.removeprefix(prefix)
        return url
