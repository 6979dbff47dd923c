"""Where a visit came from: the referrer's hostname and path, and the search keyword when one is given."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

# Search engines that still pass the query in the referrer, and the parameter that carries it.
_SEARCH_QUERY_PARAMETERS = {
    "bing.com": "q",
    "duckduckgo.com": "q",
    "search.yahoo.com": "p",
    "yandex.ru": "text",
    "yandex.com": "text",
    "baidu.com": "wd",
    "ecosia.org": "q",
    "search.brave.com": "q",
    "startpage.com": "query",
    "qwant.com": "q",
    "google.com": "q",
}


@dataclass(frozen=True, slots=True)
class Referrer:
    hostname: str = ""
    pathname: str = ""
    keyword: str = ""


def strip_www(hostname: str) -> str:
    return hostname[4:] if hostname.startswith("www.") else hostname


@lru_cache(maxsize=16384)
def describe_referrer(referrer: str, page_hostname: str) -> Referrer:
    """The referrer of an arrival; internal navigation (same site) and garbage count as no referrer."""
    if not referrer:
        return Referrer()
    try:
        parts = urlsplit(referrer)
        hostname = (parts.hostname or "").lower()
    except ValueError:
        return Referrer()
    if parts.scheme not in ("http", "https", "android-app") or not hostname:
        return Referrer()
    if strip_www(hostname) == strip_www(page_hostname):
        return Referrer()
    keyword = ""
    bare = strip_www(hostname)
    for engine, parameter in _SEARCH_QUERY_PARAMETERS.items():
        if bare == engine or bare.endswith("." + engine):
            values = parse_qs(parts.query).get(parameter)
            keyword = values[0].strip()[:255] if values else ""
            break
    return Referrer(hostname=hostname, pathname=parts.path or "/", keyword=keyword)
