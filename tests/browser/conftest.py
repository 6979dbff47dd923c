"""Fixtures of the browser tests: Debian's Chromium, the shop's page server, a Leadline server and a visitor."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser.harness import Leadline, ServerPool, StaticSite, Visitor, debian_chromium

# Pinned, so the compatibility test always meets the same loader (and the cached copy stays valid).
FATHOM_CLIENT_VERSION = "3.7.2"


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    yield from debian_chromium()


@pytest.fixture(scope="package")
def user_agent(browser: Browser) -> str:
    """Chromium's own user agent without the "Headless" that Leadline, rightly, drops as a bot."""
    page = browser.new_page()
    agent = str(page.evaluate("navigator.userAgent"))
    page.close()
    return agent.replace("HeadlessChrome", "Chrome")


@pytest.fixture
def shop() -> Iterator[StaticSite]:
    site = StaticSite()
    yield site
    site.close()


@pytest.fixture(scope="package")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    pool = ServerPool(tmp_path_factory.mktemp("leadline"))
    yield pool
    pool.close()


@pytest.fixture
def leadline(servers: ServerPool) -> Iterator[Leadline]:
    """A Leadline server of this test's own: what it stored is read after stopping it."""
    live = Leadline(servers.take())
    yield live
    live.close()


@pytest.fixture
def visitor(browser: Browser, user_agent: str) -> Iterator[Visitor]:
    context = browser.new_context(user_agent=user_agent)
    guest = Visitor(context)
    yield guest
    context.close()
    # Every test doubles as a check that neither the script nor our pages produce console errors.
    assert guest.errors == []


@pytest.fixture(scope="session")
def fathom_client_esm(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """fathom-client's ESM build from npm, installed once into pytest's cache directory (never committed)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, so fathom-client cannot be fetched")
    # Without the cacheprovider plugin (-p no:cacheprovider) there is no .cache attribute at all.
    cache: pytest.Cache | None = getattr(pytestconfig, "cache", None)
    name = f"fathom-client-{FATHOM_CLIENT_VERSION}"
    prefix = cache.mkdir(name) if cache is not None else tmp_path_factory.mktemp(name)
    module = prefix / "node_modules" / "fathom-client" / "dist" / "fathom-client.esm.js"
    if not module.exists():
        command = [npm, "install", "--prefix", str(prefix), "--ignore-scripts", "--no-audit", "--no-fund"]
        try:
            result = subprocess.run(
                [*command, f"fathom-client@{FATHOM_CLIENT_VERSION}"],
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.skip("npm install fathom-client took over 3 minutes (is the registry reachable?)")
        if result.returncode != 0 or not module.exists():
            pytest.skip(f"npm install fathom-client failed ({result.returncode}): {result.stderr.strip()[-400:]}")
    return module.read_bytes()
