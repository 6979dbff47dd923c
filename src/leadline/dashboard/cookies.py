"""The dashboard's signed cookies: the owner's session (with its CSRF token), share admissions, flash messages.

Values are signed with itsdangerous (HMAC-SHA256, timestamped), never encrypted: they hold ids and random
tokens, no secret a reader could use elsewhere. Every cookie is HttpOnly and SameSite=Lax, Secure when the
request came over https. The session names the account and a stamp of its password hash: a new password
changes the stamp, which ends every session signed in with the old one.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "leadline_session"
FORM_COOKIE = "leadline_form"  # the CSRF token of forms shown before signing in (login, share password)
FLASH_COOKIE = "leadline_flash"
SHARE_COOKIE = "leadline_share"
CSRF_FIELD = "csrf_token"
SHARE_SECONDS = 24 * 3600
FLASH_SECONDS = 300
FORM_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class Session:
    account_id: str
    password_stamp: str
    csrf_token: str


class CookieSigner:
    """Signs and reads each kind of cookie under its own salt, so one kind can never pass for another."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._key, salt=f"leadline.dashboard.{purpose}")

    def sign(self, purpose: str, value: Any) -> str:
        return str(self._serializer(purpose).dumps(value))

    def read(self, purpose: str, token: str | None, max_age: int) -> Any:
        """The value of a token signed for `purpose` no longer than `max_age` seconds ago, else None."""
        if not token:
            return None
        try:
            return self._serializer(purpose).loads(token, max_age=max_age)
        except (BadSignature, ValueError, TypeError):
            return None


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int, path: str = "/") -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=path, httponly=True, samesite="lax", secure=is_https(request)
    )


def clear_cookie(request: Request, response: Response, name: str, path: str = "/") -> None:
    response.delete_cookie(name, path=path, httponly=True, samesite="lax", secure=is_https(request))


def new_token() -> str:
    return secrets.token_urlsafe(24)


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def read_session(signer: CookieSigner, request: Request, lifetime: int) -> Session | None:
    """The session the request's cookie carries (not yet checked against the account's current password)."""
    value = signer.read("session", request.cookies.get(SESSION_COOKIE), lifetime)
    if not isinstance(value, dict):
        return None
    try:
        return Session(str(value["account"]), str(value["stamp"]), str(value["csrf"]))
    except KeyError:
        return None


def start_session(signer: CookieSigner, request: Request, response: Response, session: Session, lifetime: int) -> None:
    token = signer.sign(
        "session", {"account": session.account_id, "stamp": session.password_stamp, "csrf": session.csrf_token}
    )
    set_cookie(request, response, SESSION_COOKIE, token, lifetime)


def form_token(signer: CookieSigner, request: Request) -> str:
    """The CSRF token of anonymous forms: the one the browser's form cookie holds, or a new one."""
    token = signer.read("form", request.cookies.get(FORM_COOKIE), FORM_SECONDS)
    return token if isinstance(token, str) else new_token()


def keep_form_token(signer: CookieSigner, request: Request, response: Response, token: str) -> None:
    set_cookie(request, response, FORM_COOKIE, signer.sign("form", token), FORM_SECONDS)


def set_flash(signer: CookieSigner, request: Request, response: Response, message: str) -> None:
    set_cookie(request, response, FLASH_COOKIE, signer.sign("flash", message), FLASH_SECONDS)


def take_flash(request: Request, response: Response) -> None:
    """Forget the flash message once a page has shown it."""
    if FLASH_COOKIE in request.cookies:
        clear_cookie(request, response, FLASH_COOKIE)


def read_flash(signer: CookieSigner, request: Request) -> str | None:
    value = signer.read("flash", request.cookies.get(FLASH_COOKIE), FLASH_SECONDS)
    return value if isinstance(value, str) else None


def share_path(site_id: str) -> str:
    return f"/share/{site_id}"


def admit_to_share(
    signer: CookieSigner, request: Request, response: Response, site_id: str, password_stamp: str | None
) -> None:
    """Let this browser see the private share of `site_id` for 24 hours (the cookie goes only to its pages).

    The cookie names the password it was earned with (`password_stamp`): a new share password ends it.
    """
    value = signer.sign("share", [site_id, password_stamp])
    set_cookie(request, response, SHARE_COOKIE, value, SHARE_SECONDS, share_path(site_id))


def admitted_to_share(signer: CookieSigner, request: Request, site_id: str, password_stamp: str | None) -> bool:
    admitted = signer.read("share", request.cookies.get(SHARE_COOKIE), SHARE_SECONDS)
    return password_stamp is not None and admitted == [site_id, password_stamp]
