"""Signing in and out: `/`, `GET/POST /login`, `POST /logout`.

Failed sign-ins are counted per email under a keyed hash of the address, so the counters (which may live in
a shared Redis) never hold an email; the message tells the person when to try again.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.responses import RedirectResponse, Response

from leadline.dashboard.calls import DashboardCall
from leadline.dashboard.cookies import (
    SESSION_COOKIE,
    Session,
    clear_cookie,
    keep_form_token,
    new_token,
    start_session,
)
from leadline.dashboard.templating import render


def root(call: DashboardCall) -> Response:
    return RedirectResponse("/sites" if call.account is not None else "/login", status_code=303)


def next_path(raw: str | None) -> str:
    """Where to go after signing in: a path of this server only (never `//elsewhere` or a full URL)."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/sites"


def _login_page(call: DashboardCall, email: str = "", error: str = "", status: int = 200) -> Response:
    token = call.csrf_token
    response = render(
        call.request,
        "login.html",
        {
            "csrf_token": token,
            "email": email,
            "error": error,
            "next": next_path(call.form.get("next") or call.request.query_params.get("next")),
        },
        status_code=status,
    )
    keep_form_token(call.signer, call.request, response, token)
    return response


def login_form(call: DashboardCall) -> Response:
    if call.account is not None:
        return RedirectResponse(next_path(call.request.query_params.get("next")), status_code=303)
    return _login_page(call)


def _limit_key(call: DashboardCall, email: str) -> str:
    return hmac.new(call.context.signing_key, b"login:" + email.encode("utf-8"), hashlib.sha256).hexdigest()


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def login(call: DashboardCall) -> Response:
    email = call.form.get("email", "").strip()
    password = call.form.get("password", "")
    if not email or not password:
        return _login_page(call, email, "Enter your email and password.", 400)
    attempts = call.context.login_attempts
    limit_key = _limit_key(call, email.lower())
    wait = attempts.peek(limit_key)
    if wait is not None:
        message = f"Too many failed sign-ins for this email. Try again in {_minutes(wait)}."
        return _login_page(call, email, message, 429)
    accounts = call.context.metadata.accounts
    account = accounts.verify_password(email, password)
    if account is None:
        attempts.hit(limit_key)
        return _login_page(call, email, "Wrong email or password.", 401)
    stamp = accounts.password_stamp(account.id) or ""
    response = RedirectResponse(next_path(call.form.get("next")), status_code=303)
    session = Session(account.id, stamp, new_token())
    start_session(call.signer, call.request, response, session, call.context.settings.session_lifetime_seconds)
    return response


def logout(call: DashboardCall) -> Response:
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(call.request, response, SESSION_COOKIE)
    return response
