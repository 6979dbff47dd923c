"""SIGTERM while hits arrive: the server stops accepting, stores what it acknowledged, and exits within the bound."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx

from tests.collect.test_collector_over_http import BROWSER, stored_hits
from tests.live_server import start_server

SHUTDOWN_TIMEOUT_SECONDS = 5
SETTINGS = {
    "LEADLINE_SHUTDOWN_TIMEOUT_SECONDS": str(SHUTDOWN_TIMEOUT_SECONDS),
    # Long segments: at SIGTERM the open segment holds seconds of hits, which only the shutdown can store.
    "LEADLINE_SPOOL_SEGMENT_SECONDS": "30",
}


def test_sigterm_stores_every_acknowledged_hit_once_and_exits_within_the_timeout(data_dir: Path) -> None:
    server = start_server(data_dir, SETTINGS)
    site = server.new_site(server.new_account())
    acknowledged: set[str] = set()
    lock = threading.Lock()
    refused = threading.Event()

    def sender(worker: int) -> None:
        with httpx.Client(timeout=10) as client:
            for n in range(5000):
                path = f"/w{worker}/{n}"
                try:
                    answer = client.post(
                        server.url("/api/event"),
                        json={"site": site.id, "url": f"https://shop.example{path}"},
                        headers={"User-Agent": BROWSER},
                    )
                except httpx.TransportError:
                    refused.set()  # the server stopped accepting: nothing more to send
                    return
                if answer.status_code == 202:
                    with lock:
                        acknowledged.add(path)

    senders = [threading.Thread(target=sender, args=(worker,)) for worker in range(4)]
    for thread in senders:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.metadata.close()
    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)  # with requests in flight from four senders
    try:
        server.process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS * 3)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise
    exit_seconds = time.monotonic() - signalled
    for thread in senders:
        thread.join()

    # uvicorn ends by re-raising the signal it caught, so the exit status says SIGTERM (systemd: a clean stop).
    assert server.process.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.log()
    assert exit_seconds < SHUTDOWN_TIMEOUT_SECONDS, f"took {exit_seconds:.2f} s to exit"
    assert len(acknowledged) >= 300 and refused.is_set()
    # The shutdown stored the open segment: nothing is left for the next start to replay.
    assert not [segment for segment in (data_dir / "spool").iterdir() if segment.suffix in (".open", ".seg")]
    stored = [hit["pathname"] for hit in stored_hits(data_dir, site.id)]
    assert len(stored) == len(set(stored)), "a hit was stored twice"
    assert acknowledged <= set(stored), f"{len(acknowledged - set(stored))} acknowledged hits were lost"

    start_server(data_dir, SETTINGS).stop()  # a restart replays nothing and stores nothing twice
    assert sorted(hit["pathname"] for hit in stored_hits(data_dir, site.id)) == sorted(stored)
