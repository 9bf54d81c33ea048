"""Pure-ASGI middleware counting requests by method, route *template* and status, and timing them.

The route label is the matched route's template (``/session/{token}``), never the raw path: ids
and session tokens must not become label values, and the number of series stays bounded. A
path no route matches is counted as ``unmatched``. The label children are cached per
(method, route, status), so a request costs a dict lookup, an increment and an observation.
"""

from __future__ import annotations

import time
from typing import Final

from prometheus_client import Counter, Histogram
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from vaultline.middleware import StatusNotingSend
from vaultline.operator_metrics import operator_metrics

UNMATCHED: Final = "unmatched"
_KNOWN_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

_Children = tuple["Counter", "Histogram"]


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._children: dict[tuple[str, str, int], _Children] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        noting = StatusNotingSend(send)
        try:
            await self.app(scope, receive, noting)
        finally:
            elapsed = time.perf_counter() - started
            # The router writes the matched route into this very scope (Starlette's Router).
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
            key = (method, template, noting.status)
            children = self._children.get(key)
            if children is None:
                children = self._children[key] = _children_for(method, template, noting.status)
            children[0].inc()
            children[1].observe(elapsed)


class LabelledRoute(Route):
    """A plain Starlette route that, like FastAPI's routes, names itself in the scope when it
    matches: FastAPI's router does not, and the request would be counted as ``unmatched``."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match != Match.NONE:
            child_scope["route"] = self
        return match, child_scope


def _children_for(method: str, template: str, status: int) -> _Children:
    metrics = operator_metrics()
    return metrics.requests.labels(method, template, str(status)), metrics.request_seconds.labels(method, template)
