"""Signing in to the dashboard: the login form, wrong passwords and their throttling, sessions, `/`, CSRF."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
from playwright.sync_api import Page

from leadline.store.metadata.store import open_metadata_store
from tests.dashboard.conftest import DashboardServer, form_token, sign_in
from tests.live_server import demo_output, free_port, leadline_env


def test_the_root_sends_a_visitor_to_sign_in_and_an_owner_to_the_sites(
    guest_page: Page, dashboard_server: DashboardServer
) -> None:
    guest_page.goto(dashboard_server.url("/"))
    assert guest_page.url == dashboard_server.url("/login")
    sign_in(guest_page, dashboard_server.base_url, dashboard_server.email, dashboard_server.password)
    guest_page.goto(dashboard_server.url("/"))
    assert guest_page.url == dashboard_server.url("/sites")


def test_signing_in_shows_the_sites_and_signing_out_ends_the_session(
    signed_in: Page, dashboard_server: DashboardServer
) -> None:
    assert signed_in.locator(f"[data-site-id='{dashboard_server.site.id}']").count() == 1
    [session] = [cookie for cookie in signed_in.context.cookies() if cookie["name"] == "leadline_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and session["expires"] > 0
    assert not session["secure"]  # plain http here; Secure comes with https
    signed_in.click("text=Sign out")
    assert signed_in.url == dashboard_server.url("/login")
    signed_in.goto(dashboard_server.url("/sites"))
    assert signed_in.url.startswith(dashboard_server.url("/login"))


def test_a_wrong_password_is_refused_with_a_message(guest_page: Page, dashboard_server: DashboardServer) -> None:
    sign_in(guest_page, dashboard_server.base_url, dashboard_server.email, "not the password at all")
    assert guest_page.url == dashboard_server.url("/login")
    assert guest_page.get_by_role("alert").inner_text() == "Wrong email or password."
    assert guest_page.input_value("input[name=email]") == dashboard_server.email  # kept for the next try


def test_a_page_asked_for_before_signing_in_opens_after_it(guest_page: Page, dashboard_server: DashboardServer) -> None:
    settings = f"/sites/{dashboard_server.site.id}/settings"
    guest_page.goto(dashboard_server.url(settings))
    assert guest_page.url == dashboard_server.url(f"/login?next={settings}")
    guest_page.fill("input[name=email]", dashboard_server.email)
    guest_page.fill("input[name=password]", dashboard_server.password)
    guest_page.click("button[type=submit]")
    assert guest_page.url == dashboard_server.url(settings)


def test_failed_sign_ins_are_throttled_per_email_with_a_clear_message(
    dashboard_server: DashboardServer, guest_page: Page
) -> None:
    account = dashboard_server.live.metadata.accounts.create("Throttled", "throttled@dashboard.test")
    dashboard_server.live.metadata.accounts.set_password(account.id, "the right password")
    with httpx.Client(base_url=dashboard_server.base_url) as client:  # a script guessing, not a person
        token = form_token(client.get("/login").text)
        for _ in range(10):  # the default limit: 10 failures per 15 minutes
            fields = {"csrf_token": token, "email": "throttled@dashboard.test", "password": "a wrong password"}
            assert client.post("/login", data=fields).status_code == 401
    sign_in(guest_page, dashboard_server.base_url, "throttled@dashboard.test", "the right password")
    message = guest_page.get_by_role("alert").inner_text()
    assert message.startswith("Too many failed sign-ins for this email. Try again in ")
    # Other people are not locked out by someone guessing at this email.
    sign_in(guest_page, dashboard_server.base_url, dashboard_server.email, dashboard_server.password)
    assert guest_page.url == dashboard_server.url("/sites")


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(
    guest_page: Page, dashboard_server: DashboardServer
) -> None:
    accounts = dashboard_server.live.metadata.accounts
    account = accounts.create("Changer", "changer@dashboard.test")
    accounts.set_password(account.id, "first password here")
    sign_in(guest_page, dashboard_server.base_url, "changer@dashboard.test", "first password here")
    assert guest_page.url == dashboard_server.url("/sites")
    accounts.set_password(account.id, "second password here")
    guest_page.goto(dashboard_server.url("/sites"))
    assert guest_page.url.startswith(dashboard_server.url("/login"))


def test_a_form_posted_without_its_csrf_token_is_refused(signed_in: Page, dashboard_server: DashboardServer) -> None:
    cookies = {cookie["name"]: cookie["value"] for cookie in signed_in.context.cookies()}
    site_id = dashboard_server.site.id
    with httpx.Client(base_url=dashboard_server.base_url, cookies=cookies) as client:
        forged = client.post(f"/sites/{site_id}/settings", data={"name": "Forged", "sharing": "public"})
        wrong = client.post("/sites", data={"name": "Forged", "csrf_token": "not-the-token"})
        logout = client.post("/logout", data={})
    for response in (forged, wrong, logout):
        assert response.status_code == 403
        assert "security token is missing or out of date" in response.json()["error"]
    assert dashboard_server.live.metadata.sites.find(site_id).name == "Shop"  # type: ignore[union-attr]


def test_the_login_form_itself_needs_its_token(dashboard_server: DashboardServer) -> None:
    response = httpx.post(
        dashboard_server.url("/login"), data={"email": dashboard_server.email, "password": dashboard_server.password}
    )
    assert response.status_code == 403
    assert "leadline_session" not in response.cookies


def test_the_cli_sets_passwords_from_standard_input_and_refuses_short_ones(tmp_path: Path) -> None:
    env = leadline_env(tmp_path / "data")
    command = [sys.executable, "-m", "leadline", "accounts"]

    def run(*arguments: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, *arguments], input=stdin, env=env, capture_output=True, text=True, check=False)

    created = run(
        "create", "--name", "Cli", "--email", "cli@dashboard.test", "--password-stdin", stdin="first password\n"
    )
    assert created.returncode == 0, created.stderr
    short = run("set-password", "--email", "cli@dashboard.test", "--password-stdin", stdin="too short\n")
    assert short.returncode != 0 and "at least 10 characters" in short.stderr
    changed = run("set-password", "--email", "cli@dashboard.test", "--password-stdin", stdin="second password\n")
    assert changed.returncode == 0, changed.stderr
    store = open_metadata_store(f"sqlite:///{tmp_path / 'data' / 'leadline.sqlite3'}")
    try:
        assert store.accounts.verify_password("cli@dashboard.test", "second password") is not None
        assert store.accounts.verify_password("cli@dashboard.test", "first password") is None
    finally:
        store.close()


def test_the_demo_prints_a_sign_in_that_works(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "leadline", "demo", "--port", str(port)]
    with demo_output(command, leadline_env(tmp_path / "data", {"COLUMNS": "200"})) as printed:
        match = re.fullmatch(r"(http://\S+)/login as (\S+) with password (\S+)", printed["Sign in"])
        assert match is not None, printed
        base, email, password = match.groups()
        with httpx.Client(base_url=base) as client:
            fields = {"csrf_token": form_token(client.get("/login").text), "email": email, "password": password}
            signed_in = client.post("/login", data=fields)
            assert signed_in.status_code == 303 and signed_in.headers["location"] == "/sites"
            assert client.get("/sites").status_code == 200
