"""Who is calling the connection endpoints, and what they may do.

Two kinds of caller: the application's backend (API key + ``x-apideck-consumer-id``), which
may do everything, and the consumer's browser (session token), which reaches only its own
connections, only the unified APIs its session lists, and only the actions in its
``allow_actions``. Both are decided here, on the server, not merely hidden in a UI; the API
(api/auth.py) and the Hosted Vault (hosted/vault_session.py) each build the caller they serve.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaultline.errors import Forbidden
from vaultline.sessions.verification import VerifiedSession


@dataclass(frozen=True, slots=True)
class ConnectionsCaller:
    application_id: str
    consumer_id: str
    session: VerifiedSession | None  # None: the application's backend, with its API key

    @property
    def config_version(self) -> int | None:
        """The application's config version when authentication read it (session callers)."""
        return self.session.config_version if self.session is not None else None

    @property
    def is_backend(self) -> bool:
        return self.session is None

    def may_see(self, unified_api: str) -> bool:
        if self.session is None:
            return True
        allowed = self.session.settings.get("unified_apis") or []
        return not allowed or unified_api in allowed

    def require_unified_api(self, unified_api: str) -> None:
        if not self.may_see(unified_api):
            raise Forbidden(
                f"This session does not include the {unified_api!r} unified API",
                detail="The session's settings.unified_apis limits which integrations it may see and change.",
            )

    def require_action(self, action: str, doing: str) -> None:
        if self.session is None:
            return
        if action not in (self.session.settings.get("allow_actions") or []):
            raise Forbidden(
                f"This session may not {doing}: its allow_actions does not include {action!r}",
                detail={"required_action": action, "allow_actions": self.session.settings.get("allow_actions") or []},
            )

    def require_backend(self, doing: str) -> None:
        if self.session is not None:
            raise Forbidden(
                f"A session token may not {doing}",
                detail="Call this endpoint from your backend with the application's API key.",
            )
