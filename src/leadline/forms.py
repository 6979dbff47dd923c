"""Form-encoded bodies (`application/x-www-form-urlencoded`): the one parser every endpoint uses.

Starlette's `request.form()` would need python-multipart for a format this small; strict parsing with
the standard library, plus a refusal of repeated names (which would otherwise silently pick one), is all
the REST API, the token endpoint and the dashboard need.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


class FormError(ValueError):
    """A body that is not a form, or names a field twice (then `repeated` is that name)."""

    def __init__(self, message: str, repeated: str | None = None) -> None:
        super().__init__(message)
        self.repeated = repeated


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, lower-cased, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_form(content_type: str | None) -> bool:
    """Whether a body of this Content-Type is form-encoded (its fields are all text)."""
    return media_type(content_type) == FORM_MEDIA_TYPE


def parse_form(body: bytes) -> dict[str, str]:
    """The fields of a form body (empty for an empty body); FormError if malformed or a name repeats."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as error:
        raise FormError("not valid form-encoded data") from error
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise FormError(f"{name!r} is given more than once", repeated=name)
        fields[name] = value
    return fields
