"""The pipeline runs its named steps in DESIGN.md's order and stops at the first drop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from leadline.collect.payload import parse_payload
from leadline.collect.pending_hit import PendingHit
from leadline.collect.pipeline import DropReason, Pipeline
from leadline.collect.steps import drop_bots, put_campaign, put_device, put_referrer
from leadline.config import Settings
from leadline.deployment import build_deployment
from leadline.store.events import HitKind
from leadline.store.events.base import hit_to_row


def pending(url: str = "https://Shop.Example/a/b?utm_campaign=x", user_agent: str = "") -> PendingHit:
    return PendingHit(
        payload=parse_payload(f'{{"site": "S", "url": "{url}", "referrer": "https://t.co/x"}}'.encode()),
        received_at=datetime(2026, 1, 1, tzinfo=UTC).timestamp(),
        ip="203.0.113.5",
        user_agent=user_agent or "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    )


def test_steps_run_in_order_until_one_drops() -> None:
    ran: list[str] = []

    def recorder(name: str, result: DropReason | None = None) -> Callable[[PendingHit], DropReason | None]:
        def step(_hit: PendingHit) -> DropReason | None:
            ran.append(name)
            return result

        return step

    pipeline = Pipeline([("a", recorder("a")), ("b", recorder("b", DropReason.BOT)), ("c", recorder("c"))])
    assert asyncio.run(pipeline.run(pending())) is DropReason.BOT
    assert ran == ["a", "b"]
    assert pipeline.stats.dropped == {"bot": 1}


def test_every_step_is_timed_under_its_name() -> None:
    pipeline = Pipeline([("first", lambda _hit: None), ("second", lambda _hit: None)])
    asyncio.run(pipeline.run(pending()))
    assert pipeline.stats.accepted == 1
    assert set(pipeline.stats.seconds_per_step) == {"first", "second"}


def test_the_page_location_keeps_hash_routes_only() -> None:
    hit = pending("https://shop.example/app#/settings")
    assert (hit.payload.hostname, hit.payload.pathname) == ("shop.example", "/app#/settings")
    assert pending("https://shop.example/docs#section-2").payload.pathname == "/docs"


def test_pure_steps_fill_their_fields() -> None:
    hit = pending()
    for step in (drop_bots, put_device, put_referrer, put_campaign):
        assert step(hit) is None
    assert (hit.payload.hostname, hit.browser, hit.device_type) == ("shop.example", "Firefox", "desktop")
    assert (hit.referrer_hostname, hit.utm_campaign) == ("t.co", "x")


def test_the_collector_pipeline_follows_the_design_order() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as data_dir:
        deployment = build_deployment(Settings(data_dir=data_dir))
        assert deployment.new_collector().pipeline.step_names == (
            "check_site_and_hostname",
            "drop_bots",
            "put_device",
            "put_referrer",
            "put_campaign",
            "resolve_event",
            "bind_hostname",
            "put_geolocation",
            "put_visitor_id",
            "assign_session",
            "write_to_spool",
        )
    deployment.close()


def test_the_spooled_row_is_the_stored_hit() -> None:
    hit = pending()
    put_device(hit)
    stored = hit.to_hit()
    assert hit.to_row() == hit_to_row(stored)
    assert (stored.site_id, stored.kind, stored.hostname, stored.pathname) == (
        "S",
        HitKind.PAGEVIEW,
        "shop.example",
        "/a/b",
    )
    assert stored.timestamp == datetime(2026, 1, 1)
    assert stored.browser == "Firefox"


def test_a_bulk_run_finishes_steps_that_never_wait() -> None:
    async def answers_at_once(_hit: PendingHit) -> DropReason | None:
        return DropReason.BOT

    pipeline = Pipeline([("lookup", answers_at_once)])
    assert pipeline.run_now(pending()) is DropReason.BOT
    assert pipeline.stats.dropped == {"bot": 1}


def test_a_bulk_run_refuses_a_step_that_waits() -> None:
    async def waits(_hit: PendingHit) -> DropReason | None:
        await asyncio.sleep(0)
        return None

    with pytest.raises(RuntimeError, match="waited for I/O"):
        Pipeline([("slow", waits)]).run_now(pending())
