"""Fixtures of the dashboard tests: Debian's Chromium, one Leadline server with an account that signs in and a
site with months of traffic, pages that record every request and console error, axe-core and screenshots."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    ViewportSize,
)
from rich.console import Console

from leadline.config import Settings
from leadline.deployment import build_deployment
from leadline.store.metadata.records import Account, Site
from leadline.traffic.demo import fill_demo_site
from tests.browser.harness import debian_chromium
from tests.live_server import LiveServer, start_server

# Pinned, so every run checks against the same rules (and the cached copy stays valid).
AXE_CORE_VERSION = "4.10.3"
OWNER_EMAIL = "owner@dashboard.test"
OWNER_PASSWORD = "correct horse battery"
OTHER_EMAIL = "other@dashboard.test"
OTHER_PASSWORD = "another long password"
SITE_TIMEZONE = "America/New_York"
HITS = 3000  # over the last six months: a few hundred visits in any 30 days
UNLIMITED = {"LEADLINE_MANAGEMENT_RATE_LIMIT": "1000000/hour", "LEADLINE_REPORTS_RATE_LIMIT": "1000000/hour"}
VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1440, "height": 900},
    "phone": {"width": 390, "height": 844},
}


@dataclass
class DashboardServer:
    """A running Leadline with an owner who signs in, a site with traffic, and another account with a site."""

    live: LiveServer
    owner: Account
    site: Site  # months of synthetic traffic, in SITE_TIMEZONE
    key: str  # a full-access API key of the owner, to ask /v1 for the numbers the pages must show
    other: Account
    other_site: Site
    email: str = OWNER_EMAIL
    password: str = OWNER_PASSWORD

    @property
    def base_url(self) -> str:
        return self.live.base_url

    def url(self, path: str) -> str:
        return self.live.url(path)

    def api(self) -> httpx.Client:
        """An HTTP client of the owner's API key."""
        return self.live.client(self.key)

    def aggregations(self, **params: str) -> list[dict[str, Any]]:
        """`/v1/aggregations` with these parameters, as the owner."""
        with self.api() as client:
            response = client.get("/v1/aggregations", params=params)
        response.raise_for_status()
        data: list[dict[str, Any]] = response.json()["data"]
        return data


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    yield from debian_chromium()


@pytest.fixture(scope="package")
def dashboard_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    """One server for the package; the traffic is loaded before it starts (then only it may open the DuckDB file)."""
    data_dir = tmp_path_factory.mktemp("dashboard")
    deployment = build_deployment(Settings(data_dir=data_dir))
    try:
        accounts = deployment.metadata.accounts
        owner = accounts.create("Owner", OWNER_EMAIL, SITE_TIMEZONE)
        accounts.set_password(owner.id, OWNER_PASSWORD)
        site = deployment.metadata.sites.create(owner.id, {"name": "Shop", "timezone": SITE_TIMEZONE})
        fill_demo_site(deployment, site, HITS, Console(quiet=True))
        key = deployment.metadata.api_keys.create(owner.id, ["*"], name="tests").key
        other = accounts.create("Other", OTHER_EMAIL)
        accounts.set_password(other.id, OTHER_PASSWORD)
        other_site = deployment.metadata.sites.create(other.id, {"name": "Not yours"})
    finally:
        deployment.close()
    live = start_server(data_dir, UNLIMITED)
    yield DashboardServer(live=live, owner=owner, site=site, key=key, other=other, other_site=other_site)
    live.stop()


@dataclass
class PageWatch:
    """What the pages of one browser context did: every request's URL, and console errors.

    A page answered with a 4xx on purpose (a refused password, a 404) makes Chromium log "Failed to load
    resource" for the document itself; that is the status doing its job, not a page error, so it is left out.
    """

    origin: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[tuple[str, str]] = field(default_factory=list)  # (text, URL of the source)
    refused_documents: set[str] = field(default_factory=set)

    def attach(self, context: BrowserContext) -> None:
        context.on("request", self._on_request)
        context.on("response", self._on_response)
        context.on("page", lambda page: self.attach_page(page))

    def attach_page(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append((f"page error: {error}", "")))

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _on_response(self, response: Response) -> None:
        if response.request.resource_type == "document" and response.status >= 400:
            self.refused_documents.add(response.url)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append((message.text, str(message.location.get("url", ""))))

    @property
    def errors(self) -> list[str]:
        return [
            text
            for text, url in self.console_errors
            if not (text.startswith("Failed to load resource") and url in self.refused_documents)
        ]

    def foreign_requests(self) -> list[str]:
        """Requests to anywhere but the server's origin (data: URLs stay inside the page)."""
        return [
            url
            for url in self.requests
            if not url.startswith("data:") and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != self.origin
        ]


@pytest.fixture
def watch(dashboard_server: DashboardServer) -> PageWatch:
    return PageWatch(origin=dashboard_server.base_url)


@pytest.fixture
def guest_context(browser: Browser, watch: PageWatch) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies). Every test using it also checks: no request leaves the server's
    origin and no console error."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    watch.attach(context)
    yield context
    context.close()
    assert watch.foreign_requests() == []
    assert watch.errors == []


@pytest.fixture
def guest_page(guest_context: BrowserContext) -> Page:
    """A page of a visitor who has not signed in."""
    return guest_context.new_page()


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(base_url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def form_token(html: str) -> str:
    """The CSRF token of a page's first form (for tests that post like a script, without a browser)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if found is None:
        raise AssertionError(f"no form with a csrf_token in:\n{html[:2000]}")
    return found.group(1)


@pytest.fixture
def signed_in(guest_page: Page, dashboard_server: DashboardServer) -> Page:
    """A page signed in as the owner, showing /sites."""
    sign_in(guest_page, dashboard_server.base_url, dashboard_server.email, dashboard_server.password)
    if urlsplit(guest_page.url).path != "/sites":
        raise AssertionError(f"sign-in did not reach /sites but {guest_page.url}")
    return guest_page


@pytest.fixture(scope="session")
def axe_source(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> str:
    """axe-core's axe.min.js from npm, installed once into pytest's cache directory (never committed)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, so axe-core cannot be fetched")
    cache: pytest.Cache | None = getattr(pytestconfig, "cache", None)  # absent under -p no:cacheprovider
    name = f"axe-core-{AXE_CORE_VERSION}"
    prefix = cache.mkdir(name) if cache is not None else tmp_path_factory.mktemp(name)
    script = prefix / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        command = [npm, "install", "--prefix", str(prefix), "--ignore-scripts", "--no-audit", "--no-fund"]
        try:
            result = subprocess.run(
                [*command, f"axe-core@{AXE_CORE_VERSION}"], capture_output=True, text=True, timeout=180, check=False
            )
        except subprocess.TimeoutExpired:
            pytest.skip("npm install axe-core took over 3 minutes (is the registry reachable?)")
        if result.returncode != 0 or not script.exists():
            pytest.skip(f"npm install axe-core failed ({result.returncode}): {result.stderr.strip()[-400:]}")
    return script.read_text()


AxeCheck = Callable[[Page], None]


@pytest.fixture
def axe(axe_source: str) -> AxeCheck:
    """Run axe-core on the page as it is now; fail on any serious or critical violation."""

    def check(page: Page) -> None:
        # Evaluated through the DevTools protocol: the pages' Content-Security-Policy (rightly) refuses inline tags.
        page.evaluate(axe_source)
        violations: list[dict[str, Any]] = page.evaluate("async () => (await axe.run()).violations")
        severe = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            for violation in violations
            if violation.get("impact") in ("serious", "critical")
        ]
        assert severe == [], f"axe-core on {page.url}:\n" + "\n".join(severe)

    return check


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: pytest's cache directory (.pytest_cache/d/dashboard-screenshots), else a temp dir."""
    cache: pytest.Cache | None = getattr(pytestconfig, "cache", None)
    return cache.mkdir("dashboard-screenshots") if cache is not None else tmp_path_factory.mktemp("screenshots")


Screenshots = Callable[[Page, str, str], list[Path]]


@pytest.fixture
def screenshots(browser: Browser, screenshot_dir: Path) -> Screenshots:
    """Photograph `path` as `page`'s profile sees it (same cookies) at 1440 and 390 px, light and dark.

    Called as `screenshots(page, "/sites", "sites")`; answers the PNG files written (`sites-desktop-dark.png`, ...).
    """

    def shoot(page: Page, path: str, name: str) -> list[Path]:
        state = page.context.storage_state()
        origin = f"{urlsplit(page.url).scheme}://{urlsplit(page.url).netloc}"
        written = []
        for viewport_name, viewport in VIEWPORTS.items():
            for scheme in ("light", "dark"):
                context = browser.new_context(
                    viewport=viewport,
                    color_scheme=scheme,
                    storage_state=state,
                )
                shot = context.new_page()
                shot.goto(origin + path)
                shot.wait_for_load_state("networkidle")
                target = screenshot_dir / f"{name}-{viewport_name}-{scheme}.png"
                shot.screenshot(path=str(target), full_page=True)
                written.append(target)
                context.close()
        return written

    return shoot
