"""``GET /metrics``: Prometheus' text exposition for operators, behind a bearer token.

Without ``VAULTLINE_METRICS_TOKEN`` the endpoint does not exist (404); with it, a request needs
``Authorization: Bearer <token>`` (401 otherwise). The counters and histograms come from every
worker (``operator_metrics.py``); the database figures are read here, once per scrape.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from vaultline.clock import now_ms
from vaultline.connections.health import REVOKED_REASON
from vaultline.errors import NotFound, Unauthorized
from vaultline.operator_metrics import process_exposition
from vaultline.responses import PRIVATE
from vaultline.runtime import Runtime, runtime_of
from vaultline.store.operator_figures import HEALTH_FROM_COLUMNS, count_connections_by_health, outbox_backlog

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    runtime = runtime_of(request)
    _check_bearer(runtime, request.headers.get("authorization", ""))
    body = process_exposition() + generate_latest(await _database_figures(runtime))
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers=PRIVATE)


def _check_bearer(runtime: Runtime, authorization: str) -> None:
    token = runtime.settings.metrics_token
    if token is None:
        raise NotFound()  # not public by default: nothing says the endpoint exists
    scheme, _, presented = authorization.partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), expected):
        raise Unauthorized("GET /metrics needs Authorization: Bearer <VAULTLINE_METRICS_TOKEN>")


class _Figures(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


async def _database_figures(runtime: Runtime) -> CollectorRegistry:
    async with runtime.engine.connect() as connection:
        counts = await count_connections_by_health(connection, revoked_reason=REVOKED_REASON)
        backlog = await outbox_backlog(connection)
    connections = GaugeMetricFamily(
        "vaultline_connections",
        "Stored connections by enabled and by health as the columns tell it "
        "(unflagged: ok, or missing settings or consent)",
        labels=["enabled", "health"],
    )
    seen = {(c.enabled, c.health): c.count for c in counts}
    for enabled in (True, False):
        for health in HEALTH_FROM_COLUMNS:
            connections.add_metric(["true" if enabled else "false", health], seen.get((enabled, health), 0))
    pending = GaugeMetricFamily("vaultline_webhook_outbox_pending", "Webhook events waiting for delivery")
    pending.add_metric([], backlog.pending)
    oldest = GaugeMetricFamily(
        "vaultline_webhook_outbox_oldest_pending_age_seconds",
        "Age of the oldest webhook event still waiting for delivery (0: none waits)",
    )
    age_ms = 0 if backlog.oldest_pending_created_at is None else max(0, now_ms() - backlog.oldest_pending_created_at)
    oldest.add_metric([], age_ms / 1000)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures([connections, pending, oldest]))
    return registry
