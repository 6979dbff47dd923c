"""The frame of every owner page: the header (the account's sites, sign out) and the flash message."""

from __future__ import annotations

from starlette.responses import Response

from leadline.dashboard.calls import DashboardCall
from leadline.dashboard.cookies import read_flash, take_flash
from leadline.dashboard.templating import render
from leadline.store.metadata.records import Site


def layout_values(call: DashboardCall, current_site: Site | None = None) -> dict[str, object]:
    """What the base template's header needs: the account, its sites, the sign-out form's token, the flash."""
    return {
        "account": call.owner,
        "nav_sites": call.context.metadata.sites.list_all(call.owner.id),
        "current_site": current_site,
        "csrf_token": call.csrf_token,
        "flash": read_flash(call.signer, call.request),
    }


def render_page(call: DashboardCall, template: str, values: dict[str, object], status: int = 200) -> Response:
    """An owner's page: the layout's values plus `values`; the flash message shown is then forgotten."""
    response = render(call.request, template, {**layout_values(call), **values}, status_code=status)
    take_flash(call.request, response)
    return response
