"""What the collector accepts as a hit body, and the clear errors for everything else."""

from __future__ import annotations

import orjson
import pytest

from leadline.collect.payload import PayloadError, parse_payload


def body(**fields: object) -> bytes:
    return orjson.dumps({"site": "CDBUGS", "url": "https://shop.example/a?b=c", **fields})


def test_a_pageview_and_an_event_parse() -> None:
    pageview = parse_payload(body(referrer="https://news.example/"))
    assert (pageview.site_id, pageview.hostname, pageview.pathname, pageview.event_name) == (
        "CDBUGS",
        "shop.example",
        "/a",
        "",
    )
    event = parse_payload(body(name="Signup", value=1999))
    assert (event.event_name, event.value) == ("Signup", 1999)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{", "not valid JSON"),
        (b"[]", "JSON object"),
        (orjson.dumps({"url": "https://a.example/"}), "site is required"),
        (body(site="bad id!"), "site id"),
        (body(url="ftp://a.example/"), "http(s)"),
        (body(url="/relative"), "http(s)"),
        (body(url="https://a.example:99999/"), "valid URL"),
        (body(url="https://a.example/" + "x" * 3000), "at most"),
        (body(name=5), "name must be a string"),
        (body(name="  "), "must not be blank"),
        (body(value=-1), "value"),
        (body(value=1.5), "value"),
        (body(value=True), "value"),
        (body(value=10**13), "value"),
        (body(colour="blue"), "unknown field"),
        (body(referrer="a\x00b"), "NUL"),
        (b"x" * 9000, "too large"),
    ],
)
def test_bad_bodies_are_refused_with_a_reason(raw: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_payload(raw)


def test_percent_encoded_paths_are_stored_as_people_read_them() -> None:
    assert parse_payload(body(url="https://shop.example/caf%C3%A9/press%20kit")).pathname == "/café/press kit"
    assert parse_payload(body(url="https://shop.example/app#/r%C3%A9sum%C3%A9")).pathname == "/app#/résumé"
    with pytest.raises(PayloadError, match="NUL"):
        parse_payload(body(url="https://shop.example/a%00b"))
