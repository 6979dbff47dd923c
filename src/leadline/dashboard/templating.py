"""One Jinja2 environment for every dashboard page: autoescaped, templates shipped in the package."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

environment = Environment(
    loader=PackageLoader("leadline.dashboard", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,  # a misspelt variable fails the test that renders it, not silently blanks
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(
    request: Request,
    template: str,
    values: Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The page `template` rendered with `values` (plus `request`), as an HTML response."""
    html = environment.get_template(template).render({"request": request, **values})
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
