"""Reading ``GET /metrics`` as Prometheus would: parsed with prometheus-client's own parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from vaultline.operator_metrics import process_exposition

METRICS_TOKEN = "metrics-token-0123456789abcdef"


def parse_exposition(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample, keyed by its name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    """One sample's value; 0 when the series is absent (a counter that never moved)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def refreshes_counted(outcome: str, kind: str = "refresh") -> float:
    """This test process's count of OAuth token refreshes (or renewals) with ``outcome``."""
    samples = parse_exposition(process_exposition().decode())
    return sample(samples, "vaultline_oauth_token_refreshes_total", kind=kind, outcome=outcome)
