"""The Hosted Vault's integrations page as a plain Starlette route matched before every router.

FastAPI tries each included router in turn, and the Hosted Vault's are included after the
API's ~20: matching alone was about a quarter of the page's CPU, and FastAPI's dependency
solving a few per cent more. This route takes only what FastAPI's route would answer with the
page (a GET whose ``q`` passes its validation); everything else (other methods, a ``q`` too
long) matches nothing here and reaches FastAPI's route exactly as before, which also stays
the one the 405's ``Allow`` and any error page come from.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.routing import Match
from starlette.types import Scope

from vaultline.hosted.integrations_pages import MAX_QUERY_LENGTH, integrations_page_request
from vaultline.request_metrics import LabelledRoute


class IntegrationsPageRoute(LabelledRoute):
    def __init__(self) -> None:
        # The template FastAPI's route has (router prefix + path): the same metrics label.
        super().__init__("/hosted/{session_id}/integrations", integrations_page_request, methods=["GET"])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "GET":
            return Match.NONE, {}
        match, child_scope = super().matches(scope)
        if match is Match.FULL and not _valid_query(scope.get("query_string", b"")):
            return Match.NONE, {}
        return match, child_scope


def _valid_query(query_string: bytes) -> bool:
    if not query_string:
        return True
    # Parsed as FastAPI parses it (Starlette's QueryParams); FastAPI takes the last ``q``.
    return len(QueryParams(query_string).get("q", "")) <= MAX_QUERY_LENGTH
