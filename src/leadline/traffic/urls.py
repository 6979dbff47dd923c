"""Page URLs as a browser sends them: path, query and hash route percent-encoded the way browsers do (WHATWG URL)."""

from __future__ import annotations

from urllib.parse import quote

# What a browser leaves alone in each part; everything else (spaces, non-ASCII, `^` in paths...) is
# percent-encoded as UTF-8, and `%` is kept as written.
_PATH_SAFE = "!$%&'()*+,-./:;=@[]_~|"
_QUERY_SAFE = "!$%&()*+,-./:;=?@[]^_`{|}~"
_FRAGMENT_SAFE = "!#$%&'()*+,-./:;=?@[]^_{|}~"


def page_url(hostname: str, location: str) -> str:
    """`location` is a page as written (`/café`, `/search?q=(x)`, `/app#/settings`)."""
    rest, hash_mark, fragment = location.partition("#")
    path, question_mark, query = rest.partition("?")
    url = f"https://{hostname}{quote(path, safe=_PATH_SAFE)}"
    if question_mark:
        url += "?" + quote(query, safe=_QUERY_SAFE)
    if hash_mark:
        url += "#" + quote(fragment, safe=_FRAGMENT_SAFE)
    return url


def with_query(url: str, query: str) -> str:
    """`url` with `query` (already encoded) appended to its query string, before any hash route."""
    if not query:
        return url
    rest, hash_mark, fragment = url.partition("#")
    joined = f"{rest}{'&' if '?' in rest else '?'}{query}"
    return f"{joined}#{fragment}" if hash_mark else joined
