"""Who is calling the connection endpoints, and what they may do.

Two kinds of caller: the application's backend (API key + ``x-apideck-consumer-id``), which
may do everything, and the consumer's browser (session token), which reaches only its own
connections, only the unified APIs its session lists, and only the actions in its
``allow_actions``. Both are decided here, on the server, not merely hidden in a UI.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from vaultline.api.auth import authenticate_application, authenticate_session, consumer_id_from
from vaultline.errors import Forbidden
from vaultline.tokens.session_verification import VerifiedSession

AUTH_TYPE_HEADER = "x-apideck-auth-type"


@dataclass(frozen=True, slots=True)
class ConnectionsCaller:
    application_id: str
    consumer_id: str
    session: VerifiedSession | None  # None: the application's backend, with its API key

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


def _looks_like_session_token(request: Request) -> bool:
    # API keys (vl_live_…) never contain dots; a JWT is three dot-separated parts.
    if request.headers.get(AUTH_TYPE_HEADER, "").strip().lower() == "jwt":
        return True
    value = request.headers.get("authorization", "").strip()
    scheme, _, rest = value.partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else value
    return token.count(".") == 2 and token.startswith("eyJ")


async def authenticate_connections_caller(request: Request) -> ConnectionsCaller:
    if _looks_like_session_token(request):
        session = await authenticate_session(request)
        return ConnectionsCaller(session.application_id, session.consumer_id, session)
    application = await authenticate_application(request)
    return ConnectionsCaller(application.id, consumer_id_from(request), None)
