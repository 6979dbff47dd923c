"""`POST /oauth2/token`: the OAuth2 client-credentials grant (RFC 6749 §4.4), errors as in §5.2."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadline.collect.client_address import address_key, client_address
from leadline.config import Settings
from leadline.forms import FORM_MEDIA_TYPE, FormError, is_form, parse_form
from leadline.integrations.context import Integrations

GRANT_TYPE = "client_credentials"
SCOPE_PATH = "/api/integrations"
USER_AGENT_REQUIRED = "this deployment requires a User-Agent header naming your integration (e.g. acme-sync/1.2)"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An RFC 6749 §5.2 error answer."""

    def __init__(self, status: int, error: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}

    def response(self) -> Response:
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers={**_NO_STORE, **self.headers},
        )


def _invalid_request(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description)


def _invalid_client(description: str) -> OAuthError:
    # §5.2: 401 with a WWW-Authenticate challenge for HTTP Basic, the scheme RFC 6749 requires servers to support.
    return OAuthError(401, "invalid_client", description, {"WWW-Authenticate": 'Basic realm="leadline"'})


def _slow_down(description: str, retry_after: int) -> OAuthError:
    return OAuthError(
        429, "slow_down", f"{description}; retry after {retry_after} seconds", {"Retry-After": str(retry_after)}
    )


def source_key(request: Request, integrations: Integrations) -> str:
    """The requester's address (through trusted proxies, as for hits), keyed so that it is never stored raw."""
    peer = request.client.host if request.client else ""
    return address_key(client_address(request.scope["headers"], peer, integrations.client_addresses))


def public_base_url(settings: Settings, request: Request) -> str:
    """Where clients reach this deployment: the base_url setting, else this request's origin."""
    return settings.base_url.rstrip("/") if settings.base_url else f"{request.url.scheme}://{request.url.netloc}"


def integration_scope(settings: Settings, request: Request) -> str:
    """The one scope a token can have: `{base_url}/api/integrations`."""
    return public_base_url(settings, request) + SCOPE_PATH


def _form(content_type: str, body: bytes) -> dict[str, str]:
    if not is_form(content_type):
        raise _invalid_request(f"the body must be {FORM_MEDIA_TYPE}")
    try:
        return parse_form(body)
    except FormError as error:
        if error.repeated is not None:
            raise _invalid_request(f"parameter {error.repeated!r} is given more than once") from error
        raise _invalid_request("the body is not a valid form encoding") from error


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """Client id and secret from an HTTP Basic header (each form-urlencoded first, RFC 6749 §2.3.1)."""
    if authorization is None:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise _invalid_request("client authentication must use HTTP Basic or the form parameters")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise _invalid_client("malformed HTTP Basic credentials") from error
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _invalid_client("malformed HTTP Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    basic = _basic_credentials(request.headers.get("authorization"))
    if basic is not None:
        if "client_secret" in form:
            raise _invalid_request("use one client authentication method: HTTP Basic or client_secret, not both")
        if "client_id" in form and form["client_id"] != basic[0]:
            raise _invalid_request("client_id differs from the HTTP Basic user name")
        return basic
    if "client_id" not in form and "client_secret" not in form:
        raise _invalid_client("no client authentication: send client_id and client_secret")
    if not form.get("client_id") or not form.get("client_secret"):
        raise _invalid_request("client_id and client_secret are both required")
    return form["client_id"], form["client_secret"]


async def _issue(request: Request, settings: Settings, integrations: Integrations) -> Response:
    if integrations.require_user_agent and not request.headers.get("user-agent", "").strip():
        raise _invalid_request(USER_AGENT_REQUIRED)
    form = _form(request.headers.get("content-type", ""), await request.body())
    grant_type = form.get("grant_type")
    if not grant_type:
        raise _invalid_request("grant_type is required")
    source = source_key(request, integrations)
    # A source that failed too often is refused before any secret is checked: guessing stays slow, and
    # failures never touch the client's own limit, so knowing a client id cannot lock that client out.
    retry_after = integrations.token_failures.peek(source)
    if retry_after is not None:
        raise _slow_down("too many failed client authentications from this address", retry_after)
    try:
        client_id, secret = _client_credentials(request, form)
        client = await run_in_threadpool(integrations.clients.authenticate, client_id, secret)
        if client is None:
            raise _invalid_client("unknown client, wrong secret or revoked client")
    except OAuthError as error:
        if error.error == "invalid_client":
            retry_after = integrations.token_failures.retry_after(source)
            if retry_after is not None:
                raise _slow_down("too many failed client authentications from this address", retry_after) from error
        raise
    retry_after = integrations.token_rate_limit.retry_after(client.id)
    if retry_after is not None:
        raise _slow_down(
            f"{integrations.token_rate_limit.describe()} to the token endpoint per client: "
            "reuse tokens until they expire",
            retry_after,
        )
    if grant_type != GRANT_TYPE:
        raise OAuthError(400, "unsupported_grant_type", f"only grant_type={GRANT_TYPE} is supported")
    expected_scope = integration_scope(settings, request)
    scope = form.get("scope")
    if not scope:
        raise _invalid_request(f"scope is required: {expected_scope}")
    if scope != expected_scope:
        raise OAuthError(400, "invalid_scope", f"the only scope is {expected_scope}")
    issued = await run_in_threadpool(integrations.clients.issue_token, client, integrations.token_lifetime_seconds)
    return JSONResponse(
        {"access_token": issued.token, "token_type": "Bearer", "expires_in": issued.expires_in, "scope": scope},
        headers=_NO_STORE,
    )


async def token_endpoint(request: Request, settings: Settings, integrations: Integrations) -> Response:
    """Answer one token request: a bearer token, or an RFC 6749 §5.2 error."""
    try:
        return await _issue(request, settings, integrations)
    except OAuthError as error:
        return error.response()
