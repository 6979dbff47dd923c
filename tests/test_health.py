"""Health probes say whether the server lives and is ready, and nothing else: no counts of hits."""

from __future__ import annotations

import httpx

from tests.live_server import LiveServer


def test_a_running_server_is_live_and_ready(server: LiveServer) -> None:
    assert httpx.get(server.base_url + "/health/live").json() == {"status": "ok"}
    ready = httpx.get(server.base_url + "/health/ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


def test_no_probe_tells_how_many_hits_were_accepted_or_dropped(server: LiveServer) -> None:
    for path in ("/health", "/health/live", "/health/ready"):
        answer = httpx.get(server.base_url + path).text
        assert "accepted" not in answer
        assert "dropped" not in answer
