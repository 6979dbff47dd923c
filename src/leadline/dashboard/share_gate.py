"""`/share/{site_id}`: who may see a shared dashboard, with Fathom's semantics of the site's `sharing`.

`none` is 404; `public` is open (and may be embedded with `?embed=true`); `private` asks for the password,
and a right one earns a signed cookie for that site's share pages, valid 24 hours (the signed-in owner of
the site needs none). A share link may carry
`?password=` the SHA-256 hex of the password instead. Wrong passwords, typed or in links, are counted per
site; past the limit even the right one waits, so guessing cannot outrun the counter.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from leadline.dashboard.calls import DashboardCall, Refusal
from leadline.dashboard.cookies import admit_to_share, admitted_to_share, keep_form_token, share_path
from leadline.dashboard.security import allow_framing
from leadline.dashboard.templating import render
from leadline.dashboard.view import View
from leadline.store.metadata.records import NotFoundError, Site

EMBED_REFUSAL = "only publicly shared dashboards can be embedded"


def shared_site(call: DashboardCall) -> Site:
    site_id = call.request.path_params["site_id"]
    site = call.context.metadata.sites.find(site_id)
    if site is None or site.sharing not in ("public", "private"):
        raise NotFoundError("site", site_id)
    return site


def wants_embed(request: Request) -> bool:
    return request.query_params.get("embed", "").lower() in ("true", "1")


def _too_many(call: DashboardCall, site: Site) -> int | None:
    return call.context.share_password_attempts.peek(site.id)


def _refusal_message(wait: int) -> str:
    minutes = max(1, round(wait / 60))
    return f"Too many wrong passwords for this dashboard. Try again in {minutes} minute{'s' if minutes > 1 else ''}."


def password_prompt(call: DashboardCall, site: Site, error: str = "", status: int = 200) -> Response:
    token = call.csrf_token
    values = {"site_id": site.id, "site_name": site.name, "csrf_token": token, "error": error}
    response = render(call.request, "share_password.html", values, status_code=status)
    keep_form_token(call.signer, call.request, response, token)
    return response


def _link_password_admits(call: DashboardCall, site: Site, digest: str) -> bool:
    if _too_many(call, site) is not None:
        return False
    if call.context.metadata.sites.check_share_password_digest(site.id, digest):
        return True
    call.context.share_password_attempts.hit(site.id)
    return False


def shared_view(call: DashboardCall) -> View | Response:
    """The View a share URL may show, or the answer to give instead (password prompt, redirect, 404)."""
    site = shared_site(call)
    base = share_path(site.id)
    embed = wants_embed(call.request)
    if site.sharing == "public":
        if embed:
            allow_framing(call.request)
            return View(site, "embed", base)
        return View(site, "shared", base)
    if embed:
        raise Refusal(403, EMBED_REFUSAL)
    owner = call.account is not None and call.account.id == site.account_id
    stamp = call.context.metadata.sites.share_password_stamp(site.id)
    if owner or admitted_to_share(call.signer, call.request, site.id, stamp):
        return View(site, "shared", base)
    if call.request.url.path != base:
        # A panel, the live count or the export asked for without admission: no prompt page in their place.
        raise Refusal(401, f"this dashboard is shared with a password: enter it at {base}")
    digest = call.request.query_params.get("password")
    if digest is not None:
        if not _link_password_admits(call, site, digest):
            wait = _too_many(call, site)
            message = _refusal_message(wait) if wait else "This link's password is not right: type the password."
            return password_prompt(call, site, message, 429 if wait else 401)
        # Admitted: drop the password from the address bar (and history) on the way in.
        kept = [(name, value) for name, value in call.request.query_params.multi_items() if name != "password"]
        query = urlencode(kept)
        response = RedirectResponse(call.request.url.path + (f"?{query}" if query else ""), status_code=303)
        admit_to_share(call.signer, call.request, response, site.id, stamp)
        return response
    return password_prompt(call, site)


def submit_password(call: DashboardCall) -> Response:
    """POST /share/{site_id}: the password prompt's form."""
    site = shared_site(call)
    if site.sharing != "private":
        return RedirectResponse(share_path(site.id), status_code=303)
    wait = _too_many(call, site)
    if wait is not None:
        return password_prompt(call, site, _refusal_message(wait), 429)
    if not call.context.metadata.sites.check_share_password(site.id, call.form.get("password", "")):
        call.context.share_password_attempts.hit(site.id)
        return password_prompt(call, site, "Wrong password.", 401)
    response = RedirectResponse(share_path(site.id), status_code=303)
    admit_to_share(
        call.signer, call.request, response, site.id, call.context.metadata.sites.share_password_stamp(site.id)
    )
    return response
