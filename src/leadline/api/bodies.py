"""Request bodies: JSON or form-encoded objects, validated into typed models with readable errors."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from leadline.api.errors import ApiError
from leadline.forms import FormError, is_form, media_type, parse_form

ModelT = TypeVar("ModelT", bound=BaseModel)

_JSON_TYPES = ("application/json",)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def parse_object(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The body as a dict of fields: `{}` when empty, 400/415 ApiErrors when it is not an object."""
    if not body.strip():
        return {}
    if is_form(content_type):
        return _parse_form(body)
    body_type = media_type(content_type)
    if body_type and body_type not in _JSON_TYPES and not body_type.endswith("+json"):
        raise ApiError(415, "unsupported Content-Type: send application/json (or form-encoded fields)")
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ApiError(400, "request body is not valid JSON") from error
    if not isinstance(value, dict):
        raise ApiError(400, "request body must be a JSON object")
    return value


def _parse_form(body: bytes) -> dict[str, Any]:
    try:
        return dict(parse_form(body))
    except FormError as error:
        message = (
            f"{error.repeated}: given more than once"
            if error.repeated
            else "request body is not valid form-encoded data"
        )
        raise ApiError(400, message) from error


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"]) or "body"
    if error["type"] == "missing":
        return f"{location} is required"
    if error["type"] == "extra_forbidden":
        return f"unknown field {location!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{location}: {message[0].lower()}{message[1:]}"


def validate(model: type[ModelT], fields: dict[str, Any]) -> ModelT:
    """`fields` as a `model`, or a 400 ApiError listing what is wrong."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        problems = [_describe(dict(item)) for item in error.errors(include_url=False)]
        raise ApiError(400, "; ".join(problems)) from error


def coerce_form_booleans(fields: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Form bodies carry booleans as text; turn the usual spellings into real booleans."""
    spellings = {"true": True, "1": True, "false": False, "0": False}
    return {
        name: spellings.get(value.lower(), value) if name in names and isinstance(value, str) else value
        for name, value in fields.items()
    }


def split_form_lists(fields: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Form bodies carry a list as one comma-separated value: `datasets=daily_pages,daily_events`."""
    return {
        name: [item.strip() for item in value.split(",") if item.strip()] if name in names else value
        for name, value in fields.items()
    }
