"""Hot reads served as plain Starlette endpoints ahead of FastAPI's router, standing in for
the documented FastAPI operation, which stays registered for the OpenAPI document.

FastAPI's per-request machinery (walking the included routers, solving dependencies, two exit
stacks) was about a fifth of a credentials read. A stand-in takes only the ``Request`` and
matches only what it serves exactly like the FastAPI route would (a full ``GET`` match, and
no query parameters for operations that declare some); anything else falls through to
the FastAPI route, so validation errors, 405s and HEAD stay FastAPI's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

Endpoint = Callable[[Request], Awaitable[Response]]


class StandInRoute(Route):
    """Serves ``documented``'s GET with ``endpoint``. It names ``documented`` in the scope, so
    the metrics label and the consumer log's operation are the FastAPI route's."""

    def __init__(self, documented: APIRoute, endpoint: Endpoint, *, without_query: bool) -> None:
        super().__init__(documented.path, endpoint, methods=["GET"], name=documented.name)
        self.methods = {"GET"}  # Starlette adds HEAD; the FastAPI route answers HEAD with 405
        self.documented = documented
        self.without_query = without_query

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "GET" or (self.without_query and scope.get("query_string")):
            return Match.NONE, {}
        match, child_scope = super().matches(scope)
        if match != Match.FULL:
            return Match.NONE, {}  # partial matches (405) are the FastAPI route's to answer
        child_scope["route"] = self.documented
        return match, child_scope


def stand_in(router: APIRouter, documented: Callable[..., Awaitable[Response]], endpoint: Endpoint) -> StandInRoute:
    """A stand-in for the route of ``router`` whose endpoint is ``documented``."""
    route = next(r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is documented)
    if route.methods != {"GET"}:
        raise ValueError(f"{route.path}: only GET operations have stand-ins")
    return StandInRoute(route, endpoint, without_query=bool(route.dependant.query_params))
