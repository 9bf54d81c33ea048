"""GET /metrics scraped from a running `vaultline serve` after real traffic, with one worker
and with two (whose figures every scrape must add up)."""

from __future__ import annotations

import httpx

from tests.support.live_server import create_app_via_cli, live_server
from tests.support.metrics import METRICS_TOKEN, parse_exposition, sample
from vaultline.config import Settings

BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}
SESSIONS = "/vault/sessions"


def backend_headers(app: dict[str, str], consumer: str = "metrics-consumer") -> dict[str, str]:
    return {
        "Authorization": f"Bearer {app['api_key']}",
        "x-apideck-app-id": app["application_id"],
        "x-apideck-consumer-id": consumer,
    }


def scrape(url: str, **headers: str) -> httpx.Response:
    # A fresh connection per call: with several workers, any of them may answer.
    return httpx.get(f"{url}/metrics", headers=headers or BEARER, timeout=10)


def test_a_scrape_of_a_running_server_shows_its_traffic(settings: Settings) -> None:
    with live_server(settings, VAULTLINE_METRICS_TOKEN=METRICS_TOKEN, VAULTLINE_AUTH_THROTTLE_FAILURES="3") as server:
        app = create_app_via_cli(server.env, "Metrics")
        tokens = []
        for _ in range(3):
            minted = httpx.post(f"{server.url}{SESSIONS}", headers=backend_headers(app), timeout=10)
            assert minted.status_code == 200, minted.text
            tokens.append(minted.json()["data"]["session_token"])
        session = {
            "Authorization": f"Bearer {tokens[0]}",
            "x-apideck-app-id": app["application_id"],
            "x-apideck-consumer-id": "metrics-consumer",
        }
        for _ in range(2):
            assert httpx.get(f"{server.url}/vault/connections", headers=session, timeout=10).status_code == 200
        wrong_key = {**backend_headers(app), "Authorization": "Bearer vl_live_not-a-real-key"}
        refused = [httpx.post(f"{server.url}{SESSIONS}", headers=wrong_key, timeout=10).status_code for _ in range(6)]
        assert 401 in refused and 429 in refused

        assert scrape(server.url, Authorization="Bearer nope-nope-nope-nope").status_code == 401
        response = scrape(server.url)
        assert response.status_code == 200, response.text
        samples = parse_exposition(response.text)

    assert sample(samples, "vaultline_sessions_minted_total") == 3
    assert sample(samples, "vaultline_http_requests_total", method="POST", route=SESSIONS, status="200") == 3
    assert sample(samples, "vaultline_http_requests_total", method="POST", route=SESSIONS, status="401") == (
        refused.count(401)
    )
    assert sample(samples, "vaultline_http_requests_total", method="POST", route=SESSIONS, status="429") == (
        refused.count(429)
    )
    assert sample(samples, "vaultline_auth_throttled_requests_total") == refused.count(429)
    reads = sample(samples, "vaultline_http_requests_total", method="GET", route="/vault/connections", status="200")
    assert reads == 2
    # Every POST /vault/sessions was timed, each in the +Inf bucket and in the count.
    posts = 3 + len(refused)
    assert sample(samples, "vaultline_http_request_duration_seconds_count", method="POST", route=SESSIONS) == posts
    bucket = sample(samples, "vaultline_http_request_duration_seconds_bucket", method="POST", route=SESSIONS, le="+Inf")
    assert bucket == posts
    assert sample(samples, "vaultline_http_request_duration_seconds_sum", method="POST", route=SESSIONS) > 0
    # One 401 scrape before this one.
    assert sample(samples, "vaultline_http_requests_total", method="GET", route="/metrics", status="401") == 1
    for secret in (*tokens, app["api_key"], "vl_live_not-a-real-key", METRICS_TOKEN):
        assert secret not in response.text


def test_metrics_are_not_public_by_default_on_a_running_server(settings: Settings) -> None:
    with live_server(settings) as server:
        response = scrape(server.url)
    assert response.status_code == 404 and "vaultline_" not in response.text


def test_two_workers_add_up_their_figures(settings: Settings) -> None:
    minted = 12
    with live_server(settings, serve_args=("--workers", "2"), VAULTLINE_METRICS_TOKEN=METRICS_TOKEN) as server:
        app = create_app_via_cli(server.env, "Two workers")
        for n in range(minted):  # a fresh connection each: the kernel spreads them over the workers
            response = httpx.post(f"{server.url}{SESSIONS}", headers=backend_headers(app, f"c{n}"), timeout=10)
            assert response.status_code == 200, response.text
        scrapes = [parse_exposition(scrape(server.url).text) for _ in range(4)]

    for samples in scrapes:  # whichever worker answered, it shows both workers' figures
        assert sample(samples, "vaultline_sessions_minted_total") == minted
        assert sample(samples, "vaultline_http_requests_total", method="POST", route=SESSIONS, status="200") == minted
        assert sample(samples, "vaultline_http_request_duration_seconds_count", method="POST", route=SESSIONS) == minted
