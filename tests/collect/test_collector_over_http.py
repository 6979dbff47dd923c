"""The collector behind a real server: what it answers, what it stores, and what it never stores."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from tests.hit_senders import HitSenders
from tests.live_server import LiveServer, start_server

BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FAST_FLUSH = {
    "LEADLINE_SPOOL_SEGMENT_SECONDS": "0.2",
    "LEADLINE_FLUSH_INTERVAL_SECONDS": "0.1",
    "LEADLINE_CLIENT_IP_HEADER": "X-Forwarded-For",
}


def stored_hits(data_dir: Path, site_id: str) -> list[dict[str, Any]]:
    """Every stored hit of a site (read with the server stopped: the server holds the DuckDB file)."""
    with duckdb.connect(str(data_dir / "events.duckdb"), read_only=True) as connection:
        cursor = connection.execute("SELECT * FROM hits WHERE site_id = ? ORDER BY timestamp", [site_id])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def send(server: LiveServer, body: dict[str, Any], ip: str = "81.2.69.142", agent: str = BROWSER) -> httpx.Response:
    return httpx.post(
        server.url("/api/event"),
        json=body,
        headers={"User-Agent": agent, "X-Forwarded-For": ip, "Origin": "https://shop.example"},
    )


@pytest.fixture
def server(data_dir: Path) -> Iterator[LiveServer]:
    live = start_server(data_dir, FAST_FLUSH)
    yield live
    live.stop()


def test_a_pageview_is_stored_with_everything_the_pipeline_derives(server: LiveServer) -> None:
    site = server.new_site(server.new_account())
    answer = send(
        server,
        {
            "site": site.id,
            "url": "https://www.shop.example/pricing?utm_source=newsletter&utm_campaign=spring",
            "referrer": "https://www.bing.com/search?q=cookie+free+analytics",
        },
    )
    assert answer.status_code == 202
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    server.stop()
    [hit] = stored_hits(server.data_dir, site.id)
    assert hit["kind"] == 1
    assert (hit["hostname"], hit["pathname"]) == ("www.shop.example", "/pricing")
    assert (hit["referrer_hostname"], hit["keyword"]) == ("www.bing.com", "cookie free analytics")
    assert (hit["utm_source"], hit["utm_campaign"]) == ("newsletter", "spring")
    assert (hit["browser"], hit["operating_system"], hit["device_type"]) == ("Chrome", "Mac OS X", "desktop")
    assert hit["country_code"] == "GB"
    assert hit["visitor_id"] > 0 and hit["session_id"] > 0


def test_a_visitors_pageviews_share_a_visitor_and_a_session(server: LiveServer) -> None:
    site = server.new_site(server.new_account())
    for path in ("/a", "/b", "/c"):
        send(server, {"site": site.id, "url": f"https://shop.example{path}"})
    send(server, {"site": site.id, "url": "https://shop.example/a"}, ip="8.8.8.8")
    server.stop()
    hits = stored_hits(server.data_dir, site.id)
    assert len({(hit["visitor_id"], hit["session_id"]) for hit in hits[:3]}) == 1
    assert hits[3]["visitor_id"] != hits[0]["visitor_id"]


def test_an_event_completion_creates_the_event_on_first_use(server: LiveServer) -> None:
    account = server.new_account()
    site = server.new_site(account)
    for _ in range(2):
        assert (
            send(
                server, {"site": site.id, "url": "https://shop.example/buy", "name": "Purchase", "value": 4200}
            ).status_code
            == 202
        )
    event = server.metadata.events.find_by_name(site.id, "Purchase")
    assert event is not None
    # Renaming through the API does not lose completions: the collector forgets its cached id.
    with server.client(server.new_key(account)) as http:
        http.post(f"/v1/sites/{site.id}/events/{event.id}", json={"name": "Order"})
    send(server, {"site": site.id, "url": "https://shop.example/buy", "name": "Purchase", "value": 100})
    recreated = server.metadata.events.find_by_name(site.id, "Purchase")
    server.stop()
    hits = stored_hits(server.data_dir, site.id)
    assert [(hit["kind"], hit["event_id"], hit["value"]) for hit in hits] == [
        (2, event.id, 4200),
        (2, event.id, 4200),
        (2, recreated.id if recreated else "", 100),
    ]
    assert recreated is not None and recreated.id != event.id


def test_cors_preflight_is_answered_for_any_origin(server: LiveServer) -> None:
    answer = httpx.options(
        server.url("/api/event"),
        headers={"Origin": "https://anywhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]


def test_bad_bodies_and_unknown_sites_are_refused_and_store_nothing(server: LiveServer) -> None:
    site = server.new_site(server.new_account())
    for body in (b"{", b"[]", b'{"site": "' + site.id.encode() + b'"}', b"x" * 10_000):
        answer = httpx.post(server.url("/api/event"), content=body, headers={"User-Agent": BROWSER})
        assert answer.status_code == 400 and "error" in answer.json()
    unknown = send(server, {"site": "NOSUCHSITE", "url": "https://shop.example/"})
    assert unknown.status_code == 404 and unknown.json() == {"error": "unknown site"}
    server.stop()
    assert stored_hits(server.data_dir, site.id) == []


def test_bots_are_answered_like_visitors_but_not_stored(server: LiveServer) -> None:
    site = server.new_site(server.new_account())
    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    assert send(server, {"site": site.id, "url": "https://shop.example/"}, agent=googlebot).status_code == 202
    server.stop()
    assert stored_hits(server.data_dir, site.id) == []


def test_hits_sent_at_once_are_each_answered_as_they_fared(server: LiveServer) -> None:
    # Sent together, they reach the pipeline in shared batches; each answer is still its own hit's.
    site = server.new_site(server.new_account())
    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    kinds = ["page", "unknown site", "bot"] * 20

    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(headers={"X-Forwarded-For": "81.2.69.142"}) as client:
            requests = [
                client.post(
                    server.url("/api/event"),
                    json={
                        "site": "NOSUCHSITE" if kind == "unknown site" else site.id,
                        "url": f"https://shop.example/{n}",
                    },
                    headers={"User-Agent": googlebot if kind == "bot" else BROWSER},
                )
                for n, kind in enumerate(kinds)
            ]
            return await asyncio.gather(*requests)

    answers = asyncio.run(send_all())
    assert [answer.status_code for answer in answers] == [404 if kind == "unknown site" else 202 for kind in kinds]
    server.stop()
    stored = sorted(hit["pathname"] for hit in stored_hits(server.data_dir, site.id))
    assert stored == sorted(f"/{n}" for n, kind in enumerate(kinds) if kind == "page")


def test_a_single_domain_site_keeps_to_its_first_hostname(server: LiveServer) -> None:
    account = server.new_account()
    single, multi = server.new_site(account, "Single"), server.new_site(account, "Multi")
    server.metadata.sites.update(account.id, multi.id, {"multi_domain": True, "multi_domain_option": "separate"})
    for site in (single, multi):
        for host in ("shop.example", "www.shop.example", "copycat.example"):
            send(server, {"site": site.id, "url": f"https://{host}/"})
    server.stop()
    assert [hit["hostname"] for hit in stored_hits(server.data_dir, single.id)] == ["shop.example", "www.shop.example"]
    assert len(stored_hits(server.data_dir, multi.id)) == 3


def test_a_graceful_stop_stores_every_acknowledged_hit(data_dir: Path) -> None:
    # A long flush interval: the hits are still in the spool when SIGTERM arrives.
    server = start_server(data_dir, {**FAST_FLUSH, "LEADLINE_FLUSH_INTERVAL_SECONDS": "30"})
    site = server.new_site(server.new_account())
    acknowledged = sum(
        send(server, {"site": site.id, "url": f"https://shop.example/{n}"}).status_code == 202 for n in range(50)
    )
    server.stop()
    assert acknowledged == 50
    assert len(stored_hits(data_dir, site.id)) == 50
    assert list((data_dir / "spool").iterdir()) == []


def test_no_address_or_user_agent_reaches_any_file(data_dir: Path) -> None:
    ip, agent = "198.51.100.77", BROWSER + " LeadlineProbe/7.7"
    server = start_server(data_dir, FAST_FLUSH)
    site = server.new_site(server.new_account())
    for n in range(20):
        assert (
            send(server, {"site": site.id, "url": f"https://shop.example/{n}"}, ip=ip, agent=agent).status_code == 202
        )
    spooled_while_running = []
    for path in (data_dir / "spool").iterdir():
        with contextlib.suppress(FileNotFoundError):  # stored and removed by the flusher meanwhile
            spooled_while_running.append(path.read_bytes())
    server.stop()
    assert len(stored_hits(data_dir, site.id)) == 20
    needles = [ip.encode(), bytes(int(part) for part in ip.split(".")), agent.encode(), b"LeadlineProbe"]
    haystacks = [path.read_bytes() for path in data_dir.rglob("*") if path.is_file()] + spooled_while_running
    assert haystacks
    for needle in needles:
        assert sum(haystack.count(needle) for haystack in haystacks) == 0, needle


def test_every_acknowledged_hit_survives_kill_9_exactly_once(data_dir: Path) -> None:
    server = start_server(data_dir, FAST_FLUSH)
    site = server.new_site(server.new_account())
    with HitSenders(
        server.url("/api/event"),
        site.id,
        headers=lambda sender: {"User-Agent": BROWSER, "X-Forwarded-For": f"81.2.69.{sender}"},
    ) as senders:
        senders.wait_for_acknowledged(400, timeout=10)
        server.kill()
        senders.join()  # each sender stops at its first request without an answer
    acknowledged = senders.acknowledged
    assert len(acknowledged) >= 400

    start_server(data_dir, FAST_FLUSH).stop()  # the restart replays what the spool holds
    stored = [hit["pathname"] for hit in stored_hits(data_dir, site.id)]
    assert len(stored) == len(set(stored)), "a hit was stored twice"
    assert acknowledged <= set(stored), f"{len(acknowledged - set(stored))} acknowledged hits were lost"


def test_collected_hits_show_up_in_reports_and_current_visitors(server: LiveServer) -> None:
    account = server.new_account()
    site = server.new_site(account)
    send(server, {"site": site.id, "url": "https://shop.example/", "referrer": "https://news.example.org/x"})
    send(server, {"site": site.id, "url": "https://shop.example/pricing"})
    send(server, {"site": site.id, "url": "https://shop.example/pricing"}, ip="8.8.8.8")
    send(server, {"site": site.id, "url": "https://shop.example/buy", "name": "Purchase", "value": 1250})
    with server.client(server.new_key(account, f"read:{site.id}")) as http:
        event_params = {
            "entity": "event",
            "site_id": site.id,
            "entity_name": "Purchase",
            "aggregates": "conversions,value",
        }
        deadline = time.monotonic() + 10
        while True:  # the flusher stores spooled hits within a fraction of a second here (maybe in two segments)
            totals = http.get(
                "/v1/aggregations",
                params={"entity": "pageview", "entity_id": site.id, "aggregates": "visits,uniques,pageviews"},
            ).json()["data"]
            event = http.get("/v1/aggregations", params=event_params).json()
            stored = event == {"data": [{"conversions": "1", "value": "1250"}]}
            if (
                totals == [{"visits": "2", "uniques": "2", "pageviews": "3"}] and stored
            ) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert totals == [{"visits": "2", "uniques": "2", "pageviews": "3"}]
        assert event == {"data": [{"conversions": "1", "value": "1250"}]}
        current = http.get("/v1/current_visitors", params={"site_id": site.id, "detailed": "true"}).json()
    assert current["total"] == 2
    assert current["content"] == [{"pathname": "/pricing", "total": 2}]
    assert current["referrers"] == [
        {"referrer_hostname": "news.example.org", "referrer": "news.example.org", "total": 1}
    ]
