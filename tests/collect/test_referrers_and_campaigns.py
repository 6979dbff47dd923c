"""Referrer hostnames, search keywords and UTM tags, taken from what the page and the browser tell."""

from __future__ import annotations

import pytest

from leadline.collect.campaigns import campaign_tags
from leadline.collect.referrers import Referrer, describe_referrer, is_valid_hostname


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("https://news.ycombinator.com/item?id=1", Referrer("news.ycombinator.com", "/item")),
        ("https://www.bing.com/search?q=privacy+analytics", Referrer("www.bing.com", "/search", "privacy analytics")),
        ("https://duckduckgo.com/?q=leadline", Referrer("duckduckgo.com", "/", "leadline")),
        ("https://www.google.com/", Referrer("www.google.com", "/", "")),
        ("https://shop.example/cart", Referrer()),  # internal navigation
        ("https://www.shop.example/cart", Referrer()),  # www. is the same site
        ("", Referrer()),
        ("not a url", Referrer()),
        ("javascript:alert(1)", Referrer()),
        ("http://[::1", Referrer()),
        ("http://[2001:db8::1]/x", Referrer("2001:db8::1", "/x")),
        ("http://192.0.2.7/", Referrer("192.0.2.7", "/")),
        ("android-app://com.google.android.gm/", Referrer("com.google.android.gm", "/")),
    ],
)
def test_referrers_are_described(referrer: str, expected: Referrer) -> None:
    assert describe_referrer(referrer, "shop.example") == expected


@pytest.mark.parametrize(
    "referrer",
    [
        "https://=cmd|x/",
        "https://a..b/",
        "https://" + "a" * 300 + ".example/",
        "https://" + "a" * 64 + ".example/",
        "https://" + ".".join(["a" * 63] * 4) + "/",  # 255 characters
        "https://-leading.example/",
        "https://trailing-.example/",
        "https://under_score.example/",
        "https://@SUM(1+1)/",
        "http://[fe80::1%25=cmd]/",
    ],
)
def test_referrers_whose_hostname_is_not_a_dns_name_count_as_none(referrer: str) -> None:
    assert describe_referrer(referrer, "shop.example") == Referrer()


@pytest.mark.parametrize(
    ("hostname", "valid"),
    [
        ("news.ycombinator.com", True),
        ("xn--bcher-kva.de", True),
        ("localhost", True),
        ("example.com.", True),
        ("a" * 63 + ".example", True),
        (".".join(["a" * 63] * 3 + ["a" * 61]), True),  # 253 characters
        ("::1", True),
        ("", False),
        (".", False),
        ("a" * 64 + ".example", False),
        ("a..b", False),
        ("bücher.de", False),
    ],
)
def test_a_valid_hostname_is_a_dns_name_or_an_ip_literal(hostname: str, valid: bool) -> None:
    assert is_valid_hostname(hostname) is valid


def test_utm_tags_are_read_from_the_page_url() -> None:
    query = "utm_source=newsletter&utm_medium=email&utm_campaign=spring%20sale&utm_content=hero&utm_term=shoes&x=1"
    assert campaign_tags(query) == {
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "spring sale",
        "utm_content": "hero",
        "utm_term": "shoes",
    }


@pytest.mark.parametrize(
    ("query", "source"),
    [("ref=producthunt", "producthunt"), ("source=twitter", "twitter"), ("utm_source=a&ref=b", "a"), ("ref=", None)],
)
def test_ref_and_source_count_as_utm_source(query: str, source: str | None) -> None:
    assert campaign_tags(query).get("utm_source") == source


def test_first_occurrence_wins_and_values_are_bounded() -> None:
    tags = campaign_tags("utm_source=first&utm_source=second&utm_term=" + "x" * 1000)
    assert tags["utm_source"] == "first"
    assert len(tags["utm_term"]) == 255
