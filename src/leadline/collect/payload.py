"""The body the tracking script sends to POST /api/event, checked before anything else happens."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

import orjson

from leadline.store.ids import looks_like_id

MAX_BODY_BYTES = 8192
MAX_URL_LENGTH = 2048
MAX_NAME_LENGTH = 255
MAX_HOSTNAME_LENGTH = 253
MAX_VALUE_CENTS = 10**12
_FIELDS = frozenset({"site", "url", "referrer", "name", "value"})


class PayloadError(ValueError):
    """A body the collector refuses (answered 400 with this message)."""


@dataclass(frozen=True, slots=True)
class PageUrl:
    hostname: str  # lower-case
    pathname: str  # hash routes (`/#/about`) stay part of the path; plain anchors do not
    query: str


class Payload(NamedTuple):
    """A checked body. A named tuple, not a frozen dataclass: it is made for every hit, and a frozen
    dataclass's __init__ (one object.__setattr__ per field) took half of parse_payload's time."""

    site_id: str
    url: PageUrl
    referrer: str
    event_name: str
    value: int

    @property
    def hostname(self) -> str:
        return self.url.hostname

    @property
    def pathname(self) -> str:
        return self.url.pathname


@lru_cache(maxsize=16384)
def parse_page_url(raw_url: str) -> PageUrl:
    """Pages repeat across visitors, so each distinct URL is parsed once."""
    try:
        url = urlsplit(raw_url)
        url.port  # noqa: B018 - raises on a malformed port
    except ValueError as error:
        raise PayloadError("url is not a valid URL") from error
    if url.scheme not in ("http", "https") or not url.hostname:
        raise PayloadError("url must be an absolute http(s) URL")
    if len(url.hostname) > MAX_HOSTNAME_LENGTH:
        # Longer is no DNS name; refused here, it can neither bind a site nor overflow a column on PostgreSQL.
        raise PayloadError(f"url's hostname must be at most {MAX_HOSTNAME_LENGTH} characters")
    # Browsers send paths percent-encoded; reports (and filters) speak in the characters people read.
    path = unquote(url.path or "/", errors="replace")
    if url.fragment.startswith(("/", "!")):
        path = f"{path}#{unquote(url.fragment, errors='replace')}"
    if "\x00" in path:
        raise PayloadError("url must not contain NUL characters")
    return PageUrl(hostname=url.hostname, pathname=path[:1024], query=url.query)


def _text(fields: dict[str, Any], name: str, limit: int, required: bool = False) -> str:
    value = fields.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise PayloadError(f"{name} must be a string")
    if required and not value:
        raise PayloadError(f"{name} is required")
    if len(value) > limit or "\x00" in value:
        raise PayloadError(f"{name} must be at most {limit} characters, without NUL")
    return value


def parse_payload(body: bytes) -> Payload:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadError(f"body too large: at most {MAX_BODY_BYTES} bytes")
    try:
        fields = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise PayloadError("body is not valid JSON") from error
    if not isinstance(fields, dict):
        raise PayloadError("body must be a JSON object")
    if not fields.keys() <= _FIELDS:  # a subset test builds no set on the way
        raise PayloadError(f"unknown field {sorted(fields.keys() - _FIELDS)[0]!r}")
    site_id = _text(fields, "site", 64, required=True)
    if not looks_like_id(site_id):
        raise PayloadError("site is not a site id")
    url = parse_page_url(_text(fields, "url", MAX_URL_LENGTH, required=True))
    value = fields.get("value", 0)
    if value is None:
        value = 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VALUE_CENTS:
        raise PayloadError(f"value must be a whole number of cents between 0 and {MAX_VALUE_CENTS}")
    event_name = _text(fields, "name", MAX_NAME_LENGTH).strip()
    if "name" in fields and not event_name:
        # A blank name must not silently turn an event into a pageview.
        raise PayloadError("name must not be blank (leave it out for a pageview)")
    return Payload(site_id, url, _text(fields, "referrer", MAX_URL_LENGTH), event_name, value)
