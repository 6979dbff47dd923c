"""The dashboard's routes: sign-in, sites, settings, the site dashboard (owner and shared), static files.

Every route goes through `calls.dashboard_endpoint` (pages of this package) or `_view_endpoint` (the site
dashboard's handlers in `site_view`), which add the security headers and authorize the request first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from leadline.dashboard import share_gate, sign_in, site_list, site_settings, site_view
from leadline.dashboard.calls import DashboardCall, PageHandler, answer, dashboard_endpoint, identify, login_redirect
from leadline.dashboard.context import DashboardContext
from leadline.dashboard.cookies import CookieSigner
from leadline.dashboard.view import View

ViewAction = Callable[[Request, DashboardContext, View], Awaitable[Response]]
ViewResolver = Callable[[DashboardCall], View | Response]

SITE = "/sites/{site_id}"
SHARE = "/share/{site_id}"


def owner_view(call: DashboardCall) -> View | Response:
    """The owner's own site, signed in; another account's site is 404 like a missing one."""
    if call.account is None:
        return login_redirect(call.request)
    site = call.owned_site(call.request.path_params["site_id"])
    return View(site, "owner", f"/sites/{site.id}")


def _view_endpoint(
    context: DashboardContext, signer: CookieSigner, resolve: ViewResolver, action: ViewAction
) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint of the site dashboard: `resolve` authorizes and builds the View, `action` (site_view's) renders."""

    def authorize(call: DashboardCall) -> View | Response:
        return resolve(identify(call))

    async def endpoint(request: Request) -> Response:
        async def produce() -> Response:
            outcome = await run_in_threadpool(authorize, DashboardCall(request, context, signer))
            return outcome if isinstance(outcome, Response) else await action(request, context, outcome)

        return await answer(request, produce)

    return endpoint


async def _panel(request: Request, context: DashboardContext, view: View) -> Response:
    return await site_view.panel_fragment(request, context, view, request.path_params["panel"])


def _site_dashboard_routes(
    prefix: str, context: DashboardContext, signer: CookieSigner, resolve: ViewResolver
) -> list[BaseRoute]:
    actions: tuple[tuple[str, ViewAction], ...] = (
        ("", site_view.site_page),
        ("/panels/{panel}", _panel),
        ("/current", site_view.current_visitors),
        ("/export", site_view.export_zip),
    )
    return [
        Route(prefix + suffix, _view_endpoint(context, signer, resolve, action), methods=["GET"])
        for suffix, action in actions
    ]


def dashboard_routes(context: DashboardContext) -> list[BaseRoute]:
    signer = CookieSigner(context.signing_key)

    def page(path: str, handler: PageHandler, method: str = "GET", owner_only: bool = True) -> Route:
        return Route(path, dashboard_endpoint(context, signer, handler, owner_only=owner_only), methods=[method])

    return [
        page("/", sign_in.root, owner_only=False),
        page("/login", sign_in.login_form, owner_only=False),
        page("/login", sign_in.login, "POST", owner_only=False),
        page("/logout", sign_in.logout, "POST", owner_only=False),
        page("/sites", site_list.sites_page),
        page("/sites", site_list.add_site, "POST"),
        page(SITE + "/settings", site_settings.settings_page),
        page(SITE + "/settings", site_settings.update_general, "POST"),
        page(SITE + "/delete", site_settings.delete_site, "POST"),
        page(SITE + "/events/{event_id}/{action}", site_settings.event_action, "POST"),
        page(SITE + "/milestones", site_settings.add_milestone, "POST"),
        page(SITE + "/milestones/{milestone_id}/{action}", site_settings.milestone_action, "POST"),
        page(SITE + "/keys", site_settings.create_key, "POST"),
        page(SITE + "/keys/{key_id}/revoke", site_settings.revoke_key, "POST"),
        page(SHARE, share_gate.submit_password, "POST", owner_only=False),
        *_site_dashboard_routes(SITE, context, signer, owner_view),
        *_site_dashboard_routes(SHARE, context, signer, share_gate.shared_view),
        Mount("/dashboard-static", StaticFiles(packages=[("leadline.dashboard", "static")]), name="dashboard-static"),
    ]
