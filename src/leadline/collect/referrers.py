"""Where a visit came from: the referrer's hostname and path, and the search keyword when one is given."""

from __future__ import annotations

import ipaddress
import re
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

# A DNS label: 1-63 letters, digits or hyphens, neither first nor last a hyphen (RFC 1035, RFC 1123).
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
_MAX_DNS_NAME = 253


@dataclass(frozen=True, slots=True)
class Referrer:
    hostname: str = ""
    pathname: str = ""
    keyword: str = ""


def strip_www(hostname: str) -> str:
    return hostname[4:] if hostname.startswith("www.") else hostname


def is_valid_hostname(hostname: str) -> bool:
    """A DNS name (one trailing root dot allowed) or an IP literal; `hostname` is lowercase, as urlsplit gives it.

    Anything else (`=cmd|x`, `a..b`, a 300-character label) is visitor-made garbage that would otherwise
    reach reports and CSV downloads as a "source".
    """
    name = hostname.removesuffix(".")
    try:
        ipaddress.ip_address(name)
        return "%" not in name  # an IPv6 zone id is free text, and means nothing beyond the visitor's host
    except ValueError:
        pass
    if not name or len(name) > _MAX_DNS_NAME:
        return False
    return all(_DNS_LABEL.fullmatch(label) for label in name.split("."))


@lru_cache(maxsize=16384)
def describe_referrer(referrer: str, page_hostname: str) -> Referrer:
    """The referrer of an arrival; internal navigation (same site) and garbage count as no referrer.

    Garbage is what `urlsplit` rejects, a scheme other than http(s) or android-app, or a hostname that is
    neither a valid DNS name nor an IP literal.
    """
    if not referrer:
        return Referrer()
    try:
        parts = urlsplit(referrer)
        hostname = (parts.hostname or "").lower()
    except ValueError:
        return Referrer()
    if parts.scheme not in ("http", "https", "android-app") or not is_valid_hostname(hostname):
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
