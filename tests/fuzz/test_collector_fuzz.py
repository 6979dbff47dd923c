"""Fuzzing POST /api/event: whatever the body and headers, the collector answers 202, 400 or 404, never 5xx.

Bodies range from raw bytes through arbitrary JSON to well-formed payloads with hostile values, so both the
refusals (payload.py) and the whole pipeline behind an accepted hit (bots, user agent, referrer, campaigns,
geolocation, visitor hash, sessions, spool) are exercised against a real server.
"""

from __future__ import annotations

import os
from typing import Any

import orjson
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import FuzzTarget

# Bounded: a few hundred requests, a handful of seconds on the live server. FUZZ_EXAMPLES=N runs a longer fuzz.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
ACCEPTED = {202, 400, 404}

json_integers = st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what JSON encoders write
json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | json_integers | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
hostile_text = st.text(max_size=300) | st.sampled_from(
    ["", " ", "\x00", "%00", "%0A", "\r\n", "=cmd|' /C calc'!A0", "' OR 1=1 --", "😀" * 30, "a" * 3000 + "!", "\u202e"]
)
urls = st.one_of(
    hostile_text,
    st.builds(
        lambda scheme, host, path, query, fragment: f"{scheme}://{host}{path}{query}{fragment}",
        st.sampled_from(["http", "https", "ftp", "javascript", "HTTP"]),
        st.sampled_from(["shop.example", "SHOP.example", "xn--caf-dma.example", "[::1]", "1.2.3.4:99999", "a..b", ""])
        | st.text(max_size=30),
        st.sampled_from(["", "/", "/%ZZ", "/%C3%A9", "/%00", "/../..", "/a/" * 100]) | st.text(max_size=60),
        st.sampled_from(["", "?utm_source=x&utm_campaign=%E2%82%AC", "?ref=" + "x" * 500]) | st.text(max_size=30),
        st.sampled_from(["", "#/route", "#!/bang", "#plain"]),
    ),
)


page_urls = st.builds(
    lambda scheme, host, path, query, fragment: f"{scheme}://{host}/{path}{query}{fragment}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(["shop.example", "www.shop.example", "xn--caf-dma.example", "127.0.0.1:8080", "[::1]"]),
    st.text(max_size=80),
    st.sampled_from(["", "?utm_source=news&utm_medium=email&utm_campaign=%3Dcmd", "?ref=x&q=%ZZ"])
    | st.text(max_size=40).map(lambda text: "?" + text),
    st.sampled_from(["", "#/route", "#!/bang", "#plain", "#/%0A"]),
)


def payloads(site_id: str) -> st.SearchStrategy[bytes]:
    """Mostly payloads the collector accepts (its whole pipeline then runs), the rest anything at all."""
    plausible = st.fixed_dictionaries(
        {"site": st.just(site_id), "url": page_urls},
        optional={
            "referrer": page_urls | hostile_text,
            "name": st.text(alphabet=st.characters(exclude_characters="\x00"), min_size=1, max_size=60) | hostile_text,
            "value": st.integers(min_value=0, max_value=10**12) | st.none(),
        },
    )
    wild = st.fixed_dictionaries(
        {"site": st.sampled_from([site_id, site_id.lower(), "AAAAAAAAAA", ""]) | hostile_text, "url": urls},
        optional={
            "referrer": urls | json_values,
            "name": hostile_text | json_values,
            "value": json_integers | st.floats(allow_nan=False) | st.booleans() | st.none() | hostile_text,
            "extra": json_values,
        },
    )
    as_json = st.one_of(plausible, plausible, plausible, wild, json_values).map(
        lambda value: orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    )
    return st.one_of(as_json, as_json, as_json, st.binary(max_size=600), st.binary(min_size=8000, max_size=9000))


user_agents = st.one_of(
    st.sampled_from(
        [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
            "curl/8.0",
            "",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=2000),
).map(str.strip)  # HTTP itself has no header value with whitespace around it


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_collector_never_answers_a_server_error(target: FuzzTarget, data: st.DataObject) -> None:
    body = data.draw(payloads(target.site_id), label="body")
    # Bytes, so header values beyond ASCII reach the server as browsers and scripts may send them.
    headers = [
        (b"user-agent", data.draw(user_agents, label="user agent").encode("latin-1")),
        (
            b"content-type",
            data.draw(st.sampled_from(["text/plain", "application/json", "", "x/\u00ff"])).encode("latin-1"),
        ),
    ]
    answer = target.http.post("/api/event", content=body, headers=headers)
    event(f"status {answer.status_code}")
    assert answer.status_code in ACCEPTED, (answer.status_code, answer.text, body[:200])
    if answer.status_code != 202:
        assert set(answer.json()) == {"error"}
