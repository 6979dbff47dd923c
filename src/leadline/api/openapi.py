"""Serves Leadline's OpenAPI document (the seed spec plus RECONCILE.md's additions) at /v1/openapi.json."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


@cache
def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(files("leadline.api").joinpath("openapi.yaml").read_text("utf-8"))
    return document


async def serve_openapi(_request: Request) -> Response:
    return JSONResponse(openapi_document())
