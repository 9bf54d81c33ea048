"""The tables, in SQLAlchemy Core. Times are epoch milliseconds (BigInteger) so SQLite and
PostgreSQL store and compare them identically.

Changing a table here needs a matching Alembic revision in ``db/migrations/versions``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

applications = Table(
    "applications",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("redirect_origins", JSON, nullable=False),
    Column("embed_origins", JSON, nullable=False),
    Column("is_demo", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    # The data scopes its consumers must consent to ({enabled, resources, updated_at}); null: none.
    Column("data_scopes", JSON, nullable=True),
    # Bumped in the same transaction as any change to this row or its offered integrations
    # (store/app_config.py): hot paths cache the application's configuration under it.
    Column("config_version", BigInteger, nullable=False, server_default="0"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("application_id", String(64), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    # HMAC-SHA256 of the key under a server secret; the key itself is never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    # The first characters of the key, so an operator can tell keys apart in `apps list`.
    Column("display_prefix", String(32), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
)
Index("ix_api_keys_application_id", api_keys.c.application_id)

consumers = Table(
    "consumers",
    metadata,
    # Surrogate key: gives cursor pagination a stable, monotonic order.
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("application_id", String(64), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("consumer_id", String(255), nullable=False),
    Column("metadata", JSON, nullable=False),
    Column("custom_settings", JSON, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("modified_at", BigInteger, nullable=False),
    # The Idempotency-Key of the POST that created it: a retry of that POST is answered 200.
    Column("creation_key", String(255), nullable=True),
    UniqueConstraint("application_id", "consumer_id", name="uq_consumers_application_consumer"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # the token's jti
    Column("application_id", String(64), nullable=False),
    Column("consumer_id", String(255), nullable=False),
    Column("kid", String(64), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("redirect_uri", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
    # The signed claims only the Hosted Vault's pages read, copied from the verified token when
    # the session is first opened (minting does not write them: it is the hot path).
    Column("theme", JSON, nullable=True),
    Column("consumer_metadata", JSON, nullable=True),
)
Index("ix_sessions_app_consumer_created", sessions.c.application_id, sessions.c.consumer_id, sessions.c.created_at)

# What a browser holds for an opened session, instead of its token (which can outgrow a cookie):
# one row per opening of the session link, so two tabs or browsers each keep their own. The
# cookie carries ``id`` and a random secret; only the secret's SHA-256 is stored.
hosted_handles = Table(
    "hosted_handles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("session_id", String(64), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)
Index("ix_hosted_handles_session_id", hosted_handles.c.session_id)  # the cascade from sessions
Index("ix_hosted_handles_created_at", hosted_handles.c.created_at)  # pruning by age

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    Column("public_key", String(128), nullable=False),  # base64url raw Ed25519 public key
    Column("private_key_sealed", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value_sealed", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# Which catalog integrations an application offers, and its own OAuth client for them.
application_integrations = Table(
    "application_integrations",
    metadata,
    Column("application_id", String(64), ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", String(64), primary_key=True),
    # A row with enabled=false keeps the OAuth client while the integration is not offered.
    Column("enabled", Boolean, nullable=False),
    Column("oauth_client_id", String(512), nullable=True),
    Column("oauth_client_secret_sealed", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

connections = Table(
    "connections",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    # Random and immutable: the sealing context of this row's secrets, so a sealed value
    # copied into another row does not open.
    Column("uid", String(32), nullable=False, unique=True),
    Column("application_id", String(64), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("consumer_id", String(255), nullable=False),
    Column("unified_api", String(64), nullable=False),
    Column("service_id", String(64), nullable=False),
    Column("enabled", Boolean, nullable=False),
    # Every form value (sensitive or not) as one sealed JSON object.
    Column("settings_sealed", Text, nullable=True),
    # OAuth tokens from the provider, sealed; filled by the OAuth flow.
    Column("credentials_sealed", Text, nullable=True),
    Column("metadata", JSON, nullable=True),
    Column("configuration", JSON, nullable=True),
    # Set when POST …/validate found the credentials unusable (state ``invalid``); cleared by
    # any change of settings.
    Column("validation_error", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # Set while OAuth tokens obtained with a ``nonce`` wait for POST …/confirm: the SHA-256 of the
    # single-use confirm token (never the token) and when it stops working. Null: confirmed.
    Column("confirm_token_hash", String(64), nullable=True),
    Column("confirm_expires_at", BigInteger, nullable=True),
    # The consumer's consent records to the application's data scopes, oldest first (append-only).
    Column("consents", JSON, nullable=True),
    # OAuth tokens kept alive (oauth/token_keeper.py): when the token is next refreshed (null: never,
    # e.g. no refresh token), consecutive failed refreshes, the last one, and the end of the
    # retention window that opened when the connection went ``pending_refresh``.
    Column("refresh_due_at", BigInteger, nullable=True),
    Column("refresh_failures", Integer, nullable=False, server_default="0"),
    # What calling the provider taught (store/provider_marks.py): not settings, so changing them
    # is no ``updated`` event. The last time the provider accepted the credentials; the last
    # time it could not be reached (health ``degraded`` while set) and why; failures in a row
    # and when the background verifier asks again (connections/reverification.py).
    Column("verified_at", BigInteger, nullable=True),
    Column("last_downstream_error_at", BigInteger, nullable=True),
    Column("downstream_error", Text, nullable=True),
    Column("verification_failures", Integer, nullable=False, server_default="0"),
    Column("next_verification_at", BigInteger, nullable=True),
    # OAuth token refresh: the last failure, and when the credentials are dropped if it keeps
    # failing (health ``pending_refresh`` while set).
    Column("last_refresh_failed_at", BigInteger, nullable=True),
    Column("credentials_expire_at", BigInteger, nullable=True),
    UniqueConstraint("application_id", "consumer_id", "unified_api", "service_id", name="uq_connections_identity"),
)
Index("ix_connections_refresh_due_at", connections.c.refresh_due_at)
Index("ix_connections_next_verification_at", connections.c.next_verification_at)

# An application's webhook endpoint: where ``vault.connection.*`` events go, signed with the secret.
application_webhooks = Table(
    "application_webhooks",
    metadata,
    Column("application_id", String(64), ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret_sealed", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# The outbox: an event is inserted in the transaction of the change it describes, then
# delivered at least once by a background worker holding a lease (``locked_until``).
webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("application_id", String(64), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # pending | delivered | dead
    Column("created_at", BigInteger, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("delivered_at", BigInteger, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("locked_until", BigInteger, nullable=True),
    Column("claimed_by", String(64), nullable=True),
)
Index("ix_webhook_events_status_next_attempt_at", webhook_events.c.status, webhook_events.c.next_attempt_at)
Index("ix_webhook_events_application_id", webhook_events.c.application_id)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
)
Index("ix_webhook_attempts_event_id", webhook_attempts.c.event_id)

# One row per Vault API call made for a consumer (consumer_logs/): append-only, pruned by age.
# No foreign key to applications: a log write must never fail or wait on another table.
consumer_logs = Table(
    "consumer_logs",
    metadata,
    # Monotonic: the cursor order. BIGINT on PostgreSQL; SQLite autoincrements only INTEGER.
    Column("pk", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False),  # the Log's public id (a UUID); pk stays internal
    Column("application_id", String(64), nullable=False),
    Column("consumer_id", String(255), nullable=False),
    Column("caller", String(16), nullable=False),  # api_key | session
    Column("method", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("success", Boolean, nullable=False),
    Column("duration_us", BigInteger, nullable=False),  # integer microseconds: exact on both backends
    Column("timestamp", BigInteger, nullable=False),
    Column("operation_id", String(64), nullable=False),
    Column("operation_name", String(200), nullable=False),
    # The connection the route names, when it names one (/vault/connections/{unified_api}/{service_id}).
    Column("unified_api", String(64), nullable=True),
    Column("service_id", String(64), nullable=True),
    Column("error_message", Text, nullable=True),
)
Index(
    "ix_consumer_logs_app_consumer_pk",
    consumer_logs.c.application_id,
    consumer_logs.c.consumer_id,
    consumer_logs.c.pk,
)
Index("ix_consumer_logs_timestamp", consumer_logs.c.timestamp)  # retention deletes by age

# One OAuth authorization in flight: the signed ``state`` sent to the provider names its row by
# ``jti``; the row holds the PKCE verifier (sealed) and ``used_at``, so a state works only once.
oauth_states = Table(
    "oauth_states",
    metadata,
    Column("jti", String(64), primary_key=True),
    Column("application_id", String(64), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("consumer_id", String(255), nullable=False),
    Column("service_id", String(64), nullable=False),
    Column("code_verifier_sealed", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger, nullable=True),
    Index("ix_oauth_states_expires_at", "expires_at"),
)

# A Vault link: a URL an application hands a consumer (or has emailed) that mints a fresh session
# each time it is opened, until it expires or is revoked. Only the SHA-256 of the URL's secret is
# stored; ``id`` is a separate public name. A single-use link is bound to the first browser that
# opens it: ``binding_hash`` is the SHA-256 of the random value that browser holds in a cookie.
vault_links = Table(
    "vault_links",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("application_id", String(64), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("consumer_id", String(255), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    # The session body each opening mints from (validated when the link was created).
    Column("session_request", JSON, nullable=False),
    Column("single_use", Boolean, nullable=False),
    Column("locale", String(35), nullable=True),
    Column("send_to", String(320), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
    Column("binding_hash", String(64), nullable=True),
    Column("first_opened_at", BigInteger, nullable=True),
    Column("last_opened_at", BigInteger, nullable=True),
    Column("open_count", Integer, nullable=False),
    # When vault.link.expired was enqueued (once, on the first visit after expiry).
    Column("expired_noted_at", BigInteger, nullable=True),
)
Index(
    "ix_vault_links_app_consumer_created",
    vault_links.c.application_id,
    vault_links.c.consumer_id,
    vault_links.c.created_at,
)

# The email outbox: a message is inserted with the link it carries, then sent at least once by a
# background worker holding a lease, with retries. The message (it holds the link's URL, a secret)
# is sealed, and erased once sent or given up.
email_outbox = Table(
    "email_outbox",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("application_id", String(64), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("link_id", String(64), ForeignKey("vault_links.id", ondelete="CASCADE"), nullable=True),
    Column("recipient", String(320), nullable=False),
    Column("message_sealed", Text, nullable=True),
    Column("status", String(16), nullable=False),  # pending | sent | dead | cancelled
    Column("created_at", BigInteger, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sent_at", BigInteger, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("locked_until", BigInteger, nullable=True),
    Column("claimed_by", String(64), nullable=True),
)
Index("ix_email_outbox_status_next_attempt_at", email_outbox.c.status, email_outbox.c.next_attempt_at)
Index("ix_email_outbox_link_id", email_outbox.c.link_id)

# An OAuth sign-in Vault JS runs in a popup: the single-use start token (its hash) the embedded
# modal hands the popup, and the outcome the callback records for the modal to read.
oauth_popups = Table(
    "oauth_popups",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("session_id", String(64), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("unified_api", String(64), nullable=False),
    Column("service_id", String(64), nullable=False),
    Column("start_hash", String(64), nullable=False, unique=True),
    Column("start_expires_at", BigInteger, nullable=False),
    Column("started_at", BigInteger, nullable=True),
    Column("outcome", String(16), nullable=True),
    Column("message", Text, nullable=True),
    Column("reported_at", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_oauth_popups_session_id", "session_id"),
    Index("ix_oauth_popups_expires_at", "expires_at"),
)
