"""GET /metrics: hidden without a token, closed to a wrong one, Prometheus text whose figures move with traffic."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from leadline.app import create_app
from leadline.collect.spool import Spool
from leadline.deployment import Deployment
from leadline.metrics import HttpMetrics
from leadline.rate_limiter import RateLimiter
from tests.live_server import LiveServer, start_server

TOKEN = "metrics-token-0f3c9a"
VISITOR_ADDRESS = "203.0.113.199"
VISITOR_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 Metrics-Probe/7.7"
CRAWLER_AGENT = "curl/8.5.0"
FAMILIES = {
    "leadline_http_requests",
    "leadline_http_request_duration_seconds",
    "leadline_hits_accepted",
    "leadline_hits_dropped",
    "leadline_spool_segments",
    "leadline_spool_bytes",
    "leadline_spool_oldest_segment_age_seconds",
    "leadline_event_store_memory_bytes",
    "leadline_spool_flush_duration_seconds",
    "leadline_report_duration_seconds",
    "leadline_rate_limit_rejections",
    "leadline_job_runs",
    "leadline_job_duration_seconds",
    "process_resident_memory_bytes",
    "process_open_fds",
}
README = (Path(__file__).resolve().parents[1] / "README.md").read_text()

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def metered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("metered"),
        {
            "LEADLINE_METRICS_TOKEN": TOKEN,
            "LEADLINE_REPORTS_RATE_LIMIT": "2 per 30 seconds",
            "LEADLINE_CLIENT_IP_HEADER": "X-Forwarded-For",
            "LEADLINE_SPOOL_SEGMENT_SECONDS": "0.1",
            "LEADLINE_FLUSH_INTERVAL_SECONDS": "0.1",
        },
    )
    yield live
    live.stop()


def scrape_text(server: LiveServer) -> str:
    response = httpx.get(server.url("/metrics"), headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return response.text


def scrape(server: LiveServer) -> Samples:
    """Every sample of a scrape, by sample name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(scrape_text(server))
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def send_hit(server: LiveServer, site_id: str, agent: str = VISITOR_AGENT) -> httpx.Response:
    return httpx.post(
        server.url("/api/event"),
        json={"site": site_id, "url": "https://shop.example/pricing"},
        headers={"User-Agent": agent, "X-Forwarded-For": VISITOR_ADDRESS},
    )


def test_without_a_token_setting_metrics_answers_like_any_unknown_path(deployment: Deployment) -> None:
    app = create_app(deployment.settings, deployment)

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://leadline.test") as client:
            return await client.get("/metrics", headers={"Authorization": "Bearer anything"})

    response = asyncio.run(get())
    assert response.status_code == 404
    assert response.json()["error"].startswith("not found")


def test_a_request_without_the_token_gets_401_and_a_bearer_challenge(metered: LiveServer) -> None:
    response = httpx.get(metered.url("/metrics"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error" in response.json()


@pytest.mark.parametrize(
    "authorization", [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", "Bearer", TOKEN]
)
def test_a_wrong_token_gets_401(metered: LiveServer, authorization: str) -> None:
    response = httpx.get(metered.url("/metrics"), headers={"Authorization": authorization})
    assert response.status_code == 401
    assert TOKEN not in response.text


def test_the_answer_is_prometheus_text_with_every_family(metered: LiveServer) -> None:
    site = metered.new_site(metered.new_account())
    send_hit(metered, site.id)
    response = httpx.get(metered.url("/metrics"), headers={"authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert names >= FAMILIES


def test_hits_accepted_and_dropped_are_counted_by_reason(metered: LiveServer) -> None:
    site = metered.new_site(metered.new_account())
    before = scrape(metered)
    assert send_hit(metered, site.id).status_code == 202
    assert send_hit(metered, site.id, agent=CRAWLER_AGENT).status_code == 202  # dropped, answered alike
    assert send_hit(metered, "UNKNOWNSITE").status_code == 404
    after = scrape(metered)
    assert value(after, "leadline_hits_accepted_total") - value(before, "leadline_hits_accepted_total") == 1
    for reason in ("bot", "unknown_site"):
        moved = value(after, "leadline_hits_dropped_total", reason=reason)
        moved -= value(before, "leadline_hits_dropped_total", reason=reason)
        assert moved == 1, reason
    assert ("leadline_hits_dropped_total", frozenset({("reason", "foreign_hostname")})) in after  # zero, listed


def test_rate_limit_rejections_and_report_runs_are_counted(metered: LiveServer) -> None:
    account = metered.new_account()
    site = metered.new_site(account)
    before = scrape(metered)
    with metered.client(metered.new_key(account)) as http:
        params = {"entity": "pageview", "entity_id": site.id, "aggregates": "pageviews"}
        statuses = [http.get("/v1/aggregations", params=params).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    after = scrape(metered)
    rejected = value(after, "leadline_rate_limit_rejections_total", limit="reports")
    assert rejected - value(before, "leadline_rate_limit_rejections_total", limit="reports") == 1
    reports = value(after, "leadline_report_duration_seconds_count")
    assert reports - value(before, "leadline_report_duration_seconds_count") == 2
    assert ("leadline_rate_limit_rejections_total", frozenset({("limit", "management")})) in after


# Letters, not digits: a sample's value (0.0033389729942427...) once held "4242", the mark this test used.
PATH_MARK = "qzxjv"


def test_requests_are_labelled_by_route_template_never_by_path(metered: LiveServer) -> None:
    account = metered.new_account()
    site = metered.new_site(account)
    with metered.client(metered.new_key(account)) as http:
        assert http.get(f"/v1/sites/{site.id}").status_code == 200
        assert http.get(f"/wp-admin/probe-path-{PATH_MARK}").status_code == 404
        assert http.get(f"/v1/no-such-thing-{PATH_MARK}").status_code == 404
    text = scrape_text(metered)
    samples = scrape(metered)
    labels = {"method": "GET", "route": "/v1/sites/{site_id}", "status": "200"}
    assert value(samples, "leadline_http_requests_total", **labels) >= 1
    assert value(samples, "leadline_http_requests_total", method="GET", route="unmatched", status="404") >= 1
    assert value(samples, "leadline_http_requests_total", method="GET", route="/v1/{path}", status="404") >= 1
    assert site.id not in text
    assert PATH_MARK not in text


def test_the_spool_is_measured_and_flushes_are_timed(metered: LiveServer) -> None:
    site = metered.new_site(metered.new_account())
    before = scrape(metered)
    for _ in range(3):
        send_hit(metered, site.id)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        after = scrape(metered)
        flushes = value(after, "leadline_spool_flush_duration_seconds_count")
        if flushes > value(before, "leadline_spool_flush_duration_seconds_count"):
            break
        time.sleep(0.1)
    else:
        pytest.fail("no flush was timed")
    assert value(after, "leadline_job_runs_total", job="flush_spool", outcome="ok") >= 1
    assert value(after, "leadline_spool_segments") >= 0
    assert value(after, "leadline_spool_oldest_segment_age_seconds") < 10


def test_no_address_agent_or_key_appears_in_the_figures(metered: LiveServer) -> None:
    account = metered.new_account()
    key = metered.new_key(account)
    send_hit(metered, metered.new_site(account).id)
    with metered.client(key) as http:
        http.get("/v1/account")
    text = scrape_text(metered)
    for secret in (VISITOR_ADDRESS, VISITOR_AGENT, "Metrics-Probe", key, TOKEN):
        assert secret not in text


def test_every_metric_is_documented_in_the_readme(metered: LiveServer) -> None:
    names = {family.name for family in text_string_to_metric_families(scrape_text(metered))}
    assert names >= FAMILIES
    ours = {name for name in names if name.startswith("leadline_")}
    section = README.split("### Metrics", 1)[1]
    for name in ours:
        assert re.search(rf"`{name}(_total)?`", section), name


def test_unknown_methods_and_unmatched_paths_each_share_one_label() -> None:
    registry = CollectorRegistry()
    requests = HttpMetrics(registry)
    for method in ("BREW", "PROPFIND", "X" * 500):
        requests.observe(method, None, 404, 0.01)
    text = generate_latest(registry).decode()
    series = [line for line in text.splitlines() if line.startswith("leadline_http_requests_total")]
    assert series == ['leadline_http_requests_total{method="other",route="unmatched",status="404"} 3.0']


def test_the_spool_backlog_counts_segments_bytes_and_the_oldest_age(tmp_path: Path) -> None:
    ten_seconds_ago = time.time_ns() - 10_000_000_000
    (tmp_path / f"{ten_seconds_ago:020d}-{os.getpid()}.seg").write_bytes(b"x" * 100)
    (tmp_path / f"{time.time_ns():020d}-{os.getpid()}.open").write_bytes(b"y" * 20)
    (tmp_path / "unrelated.txt").write_bytes(b"z" * 1000)
    backlog = Spool(tmp_path).backlog()
    assert (backlog.segments, backlog.size_bytes) == (2, 120)
    assert 9.5 < backlog.oldest_age_seconds < 15


def test_an_empty_spool_has_no_backlog(tmp_path: Path) -> None:
    backlog = Spool(tmp_path / "never-created").backlog()
    assert (backlog.segments, backlog.size_bytes, backlog.oldest_age_seconds) == (0, 0, 0.0)


def test_every_refusal_counts_one_rejection_for_its_limit_and_never_names_the_key() -> None:
    limiter = RateLimiter()
    tight = limiter.limit("1/minute", "tight")
    limiter.limit("1/minute", "idle")
    assert tight.hit("client-a").allowed
    assert not tight.hit("client-a").allowed  # refused
    assert tight.peek("client-a") is not None  # refused without counting a request
    assert tight.hit("client-b").allowed
    assert limiter.rejections.counts() == {"tight": 2, "idle": 0}
