"""UTM tags of the page URL (`ref` and `source` count as utm_source, as Fathom and Plausible read them)."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
_SOURCE_ALIASES = ("ref", "source")
_MAX_TAG_LENGTH = 255


def campaign_tags(query: str) -> dict[str, str]:
    """Each UTM field present in `query` (first occurrence wins), trimmed and bounded."""
    return dict(_campaign_tags(query)) if query else {}


@lru_cache(maxsize=16384)
def _campaign_tags(query: str) -> tuple[tuple[str, str], ...]:
    tags: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=False):
        name = name.lower()
        cleaned = value.strip()[:_MAX_TAG_LENGTH]
        if not cleaned:
            continue
        if name in UTM_FIELDS:
            tags.setdefault(name, cleaned)
        elif name in _SOURCE_ALIASES:
            aliases.setdefault(name, cleaned)
    if "utm_source" not in tags:
        source = aliases.get("ref") or aliases.get("source")
        if source:
            tags["utm_source"] = source
    return tuple(tags.items())
