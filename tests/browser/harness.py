"""Browser-test harness: a cross-origin page server, a Chromium visitor, and what Leadline stored for each site."""

from __future__ import annotations

import html
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, sync_playwright

from tests.live_server import LiveServer, start_server

# Debian's Chromium; Playwright's own browser downloads are not available here.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--host-resolver-rules=MAP shop.test 127.0.0.1",
]
# The host of the pages under test: a real-looking name, cross-origin to Leadline on 127.0.0.1.
SHOP = "shop.test"
SCRIPT_PATH = Path(str(files("leadline.collect").joinpath("script.js")))
COLLECT_PATH = "/api/event"
SETTLE_SECONDS = 10.0
PAGEVIEW, EVENT = 1, 2


def debian_chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright, for a package-scoped `browser` fixture (skips when it is missing).

    Package scope, not session: while Playwright's sync API is active, the thread counts as running an asyncio
    loop, which would break asyncio.run() in the test packages that come after.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class StaticSite:
    """The visited website: pages and files served from memory by a threaded HTTP server on 127.0.0.1."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, str]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = site._files.get(urlsplit(self.path).path)
                if found is None:
                    self.send_error(404)
                    return
                body, content_type = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # Quiet: test output is for failures.

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str, host: str = SHOP) -> str:
        return f"http://{host}:{self.port}{path}"

    def file(self, path: str, body: bytes, content_type: str) -> str:
        self._files[path] = (body, content_type)
        return self.url(path)

    def page(self, path: str, head: str = "", body: str = "") -> str:
        """Serve an HTML page at `path`; the answer is the page's URL on shop.test."""
        # The inline icon stops Chromium's favicon request, whose 404 would be a console error of its own.
        document = (
            '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">'
            f"<title>{html.escape(path)}</title>{head}</head><body>{body}</body></html>"
        )
        return self.file(path, document.encode(), "text/html; charset=utf-8")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def script_tag(base_url: str, site_id: str, **attributes: str) -> str:
    """The embed snippet, as a site would paste it: `allow_localhost="true"` becomes data-allow-localhost."""
    extra = "".join(f' data-{name.replace("_", "-")}="{html.escape(value)}"' for name, value in attributes.items())
    return f'<script src="{base_url}/script.js" data-site="{site_id}"{extra} defer></script>'


class ServerPool:
    """Fresh Leadline servers, each started while the previous test runs: a start costs about a second."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._started = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadline-start")
        self._next: Future[LiveServer] | None = None

    def _start(self) -> LiveServer:
        self._started += 1
        return start_server(self._root / f"leadline-{self._started}")

    def take(self) -> LiveServer:
        ready = self._next or self._executor.submit(self._start)
        self._next = self._executor.submit(self._start)
        return ready.result()

    def close(self) -> None:
        if self._next is not None:
            self._next.result().stop()
        self._executor.shutdown()


@dataclass(frozen=True)
class StoredHit:
    kind: int
    hostname: str
    pathname: str
    referrer_hostname: str
    event_name: str
    value: int
    utm_source: str
    browser: str
    operating_system: str
    device_type: str


@dataclass(frozen=True)
class StoredHits:
    by_site: Mapping[str, list[StoredHit]]

    def of(self, site_id: str) -> list[StoredHit]:
        return self.by_site.get(site_id, [])

    def pageviews(self, site_id: str) -> list[str]:
        return [hit.pathname for hit in self.of(site_id) if hit.kind == PAGEVIEW]

    def events(self, site_id: str) -> list[tuple[str, int]]:
        return [(hit.event_name, hit.value) for hit in self.of(site_id) if hit.kind == EVENT]


class Leadline:
    """A Leadline server for one test; `stored()` stops it, since only then may another process open its DuckDB."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.account = server.new_account()
        self._stored: StoredHits | None = None

    def new_site(self, name: str = "Shop") -> str:
        return self.server.new_site(self.account, name).id

    def tag(self, site_id: str, **attributes: str) -> str:
        return script_tag(self.server.base_url, site_id, **attributes)

    def stored(self) -> StoredHits:
        if self._stored is None:
            # A graceful stop flushes the spool, so every hit the server answered is in DuckDB afterwards.
            self.server.stop()
            self._stored = self._read()
        return self._stored

    def close(self) -> None:
        if self._stored is None:
            self.server.stop()

    def _read(self) -> StoredHits:
        data_dir = self.server.data_dir
        with closing(sqlite3.connect(f"file:{data_dir / 'leadline.sqlite3'}?mode=ro", uri=True)) as metadata:
            names = {
                (site, event): name for site, event, name in metadata.execute("SELECT site_id, id, name FROM events")
            }
        by_site: dict[str, list[StoredHit]] = {}
        with closing(duckdb.connect(str(data_dir / "events.duckdb"), read_only=True)) as events:
            rows = events.execute(
                "SELECT site_id, kind, hostname, pathname, referrer_hostname, event_id, value, utm_source, browser,"
                " operating_system, device_type FROM hits ORDER BY timestamp"
            ).fetchall()
        for site, kind, hostname, pathname, referrer, event_id, value, utm, browser, system, device in rows:
            hit = StoredHit(
                kind=int(kind),
                hostname=hostname,
                pathname=pathname,
                referrer_hostname=referrer,
                event_name=names.get((site, event_id), ""),
                value=int(value),
                utm_source=utm,
                browser=browser,
                operating_system=system,
                device_type=device,
            )
            by_site.setdefault(site, []).append(hit)
        return StoredHits(by_site)


@dataclass
class Visitor:
    """One browser profile (context) visiting the shop; it sees every hit the script sends and every page error."""

    context: BrowserContext
    hits: list[Request] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Console errors a test expects (matched as substrings), such as the browser's own note of a refused request.
    tolerated: list[str] = field(default_factory=list)
    _done: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.context.on("request", self._on_request)
        self.context.on("requestfinished", self._on_done)
        self.context.on("requestfailed", self._on_done)

    def _on_request(self, request: Request) -> None:
        if urlsplit(request.url).path == COLLECT_PATH:
            self.hits.append(request)

    def _on_done(self, request: Request) -> None:
        if urlsplit(request.url).path == COLLECT_PATH:
            self._done.add(id(request))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(text in message.text for text in self.tolerated):
            self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def tab(self, init_script: str | None = None) -> Page:
        """A new tab whose console errors and uncaught exceptions are collected; `init_script` runs before pages'."""
        page = self.context.new_page()
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        if init_script:
            page.add_init_script(init_script)
        return page

    def open(
        self, url: str, referer: str | None = None, init_script: str | None = None, page: Page | None = None
    ) -> Page:
        """Load `url` in a new tab (or in `page`); the hits the script sends while loading are counted on return."""
        page = page or self.tab(init_script)
        page.goto(url, referer=referer)
        # Deferred scripts run before the load event that goto waits for; this also fails fast if ours did not run.
        page.wait_for_function("() => typeof window.fathom === 'function'")
        return page

    def settle(self, page: Page, at_least: int = 0) -> int:
        """Wait until `at_least` hits were sent and every sent hit was answered; the answer is how many were sent.

        Chromium reports a request before the call that made it returns, so hits sent synchronously are counted;
        `at_least` covers those sent later, from popstate or hashchange handlers.
        """
        deadline = time.monotonic() + SETTLE_SECONDS
        while len(self.hits) < at_least or any(id(request) not in self._done for request in self.hits):
            if time.monotonic() > deadline:
                answered = sum(id(request) in self._done for request in self.hits)
                raise AssertionError(f"{len(self.hits)} hits sent (wanted {at_least}), {answered} answered")
            # Playwright delivers events only while it waits, so the wait is the browser's, in small steps.
            page.wait_for_timeout(20)
        return len(self.hits)

    def sent_bodies(self) -> list[str]:
        return [request.post_data or "" for request in self.hits]
