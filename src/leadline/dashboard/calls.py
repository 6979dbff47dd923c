"""One dashboard request as handlers see it: who is signed in, the posted form (CSRF-checked), the cookie signer.

The wrappers here do what every page needs once: security headers, sign-in (checked against the account's
current password), CSRF on every POST, and turning "no such thing" into a 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from leadline.dashboard.context import DashboardContext
from leadline.dashboard.cookies import (
    CSRF_FIELD,
    CookieSigner,
    Session,
    form_token,
    read_session,
    tokens_match,
)
from leadline.dashboard.security import add_security_headers, new_nonce
from leadline.forms import FormError, is_form, parse_form
from leadline.http_errors import error_response
from leadline.store.metadata.records import Account, NotFoundError, Site

CSRF_REFUSAL = "this form's security token is missing or out of date: reload the page and submit it again"


class Refusal(Exception):
    """A request the dashboard answers with `{"error": message}` and `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class DashboardCall:
    request: Request
    context: DashboardContext
    signer: CookieSigner
    form: dict[str, str] = field(default_factory=dict)
    session: Session | None = None
    account: Account | None = None

    @property
    def owner(self) -> Account:
        if self.account is None:
            raise Refusal(401, "sign in first")
        return self.account

    def owned_site(self, site_id: str) -> Site:
        """A site of the signed-in account; another account's site is as absent as a missing one (404)."""
        return self.context.metadata.sites.get(self.owner.id, site_id)

    @property
    def csrf_token(self) -> str:
        """The token this page's forms carry: the session's, or the anonymous form cookie's."""
        if self.session is not None:
            return self.session.csrf_token
        return form_token(self.signer, self.request)


PageHandler = Callable[[DashboardCall], Response]


def signed_in_session(call: DashboardCall) -> tuple[Session, Account] | None:
    """The request's session if it is valid: signed, not expired, and its password stamp still current."""
    context = call.context
    session = read_session(call.signer, call.request, context.settings.session_lifetime_seconds)
    if session is None:
        return None
    stamp = context.metadata.accounts.password_stamp(session.account_id)
    if stamp is None or not tokens_match(stamp, session.password_stamp):
        return None
    try:
        return session, context.metadata.accounts.get(session.account_id)
    except NotFoundError:
        return None


async def read_form(request: Request) -> dict[str, str]:
    if request.method != "POST":
        return {}
    body = await request.body()
    if not body:
        return {}  # no fields at all: the CSRF check then refuses it
    if not is_form(request.headers.get("content-type")):
        raise Refusal(415, "send the form as application/x-www-form-urlencoded")
    try:
        return parse_form(body)
    except FormError as error:
        raise Refusal(400, str(error)) from error


def login_redirect(request: Request) -> Response:
    """To the login form, coming back to this page (with its query) after signing in."""
    target = "/login"
    if request.method == "GET" and request.url.path != "/":
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += "?next=" + quote(wanted, safe="/")
    return RedirectResponse(target, status_code=303)


def identify(call: DashboardCall) -> DashboardCall:
    """Fill in the signed-in account, if the request has a valid session (runs in a thread: the store blocks)."""
    found = signed_in_session(call)
    if found is not None:
        call.session, call.account = found
    return call


async def answer(request: Request, produce: Callable[[], Awaitable[Response]]) -> Response:
    """`produce`'s response with the security headers; refusals and "not found" as `{"error": ...}`."""
    new_nonce(request)
    try:
        response = await produce()
    except Refusal as refusal:
        response = error_response(refusal.status, refusal.message)
    except NotFoundError:
        response = error_response(404, "not found")
    return add_security_headers(request, response)


def dashboard_endpoint(
    context: DashboardContext, signer: CookieSigner, handler: PageHandler, *, owner_only: bool
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint running `handler` (in a thread: the stores block) with the checks every page needs."""

    def run(call: DashboardCall) -> Response:
        identify(call)
        if owner_only and call.account is None:
            return login_redirect(call.request)
        if call.request.method == "POST" and not tokens_match(call.csrf_token, call.form.get(CSRF_FIELD)):
            raise Refusal(403, CSRF_REFUSAL)
        return handler(call)

    async def endpoint(request: Request) -> Response:
        async def produce() -> Response:
            call = DashboardCall(request, context, signer, form=await read_form(request))
            return await run_in_threadpool(run, call)

        return await answer(request, produce)

    return endpoint
