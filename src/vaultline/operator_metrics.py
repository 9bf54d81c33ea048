"""The counters and histograms behind ``GET /metrics``, made on first use in a registry of our
own, and their exposition: under ``serve --workers N`` the sum of every worker's figures.

Multiprocess: ``serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers start, so each
worker's prometheus-client writes its values to files there and a scrape from any worker adds
them up. Figures that need the database are not here: the scraping worker reads them once per
scrape (``store/operator_figures.py``) and appends them.
"""

from __future__ import annotations

import functools
import os
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_DIR_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
REFRESH_OUTCOMES: Final = ("success", "refused", "error")
# ``refresh``: an OAuth refresh token traded; ``renewal``: a client_credentials/password grant asked again.
REFRESH_KINDS: Final = ("refresh", "renewal")
VALIDATION_OUTCOMES: Final = ("valid", "invalid")
# Most answers take milliseconds; the long tail is a provider or a locked database.
LATENCY_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class OperatorMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "vaultline_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "vaultline_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.sessions_minted = Counter(
            "vaultline_sessions_minted", "Vault sessions minted (POST /vault/sessions)", registry=self.registry
        )
        self.token_refreshes = Counter(
            "vaultline_oauth_token_refreshes",
            "OAuth token refreshes and stored-credentials renewals, by outcome "
            "(refused: the provider said no and the connection is now invalid; error: it did not answer)",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.validations = Counter(
            "vaultline_connection_validations",
            "Connection validations (POST …/validate), by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.throttled = Counter(
            "vaultline_auth_throttled_requests",
            "Requests refused with 429 after too many failed authentications from one address",
            registry=self.registry,
        )
        # Every known series from the start, so a rate over a series that never moved is 0, not absent.
        for kind in REFRESH_KINDS:
            for outcome in REFRESH_OUTCOMES:
                self.token_refreshes.labels(kind, outcome)
        for outcome in VALIDATION_OUTCOMES:
            self.validations.labels(outcome)


@functools.cache
def operator_metrics() -> OperatorMetrics:
    """This process's instruments, created on first use (never at import time)."""
    return OperatorMetrics()


def count_token_refresh(kind: str, outcome: str) -> None:
    operator_metrics().token_refreshes.labels(kind, outcome).inc()


def process_exposition() -> bytes:
    """The counters and histograms in the text exposition format: every worker's, summed, when
    ``serve`` runs several."""
    metrics = operator_metrics()  # this worker's series exist even before its first request
    if os.environ.get(MULTIPROC_DIR_ENV):
        registry = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # its __init__ is unannotated
        return generate_latest(registry)
    return generate_latest(metrics.registry)
