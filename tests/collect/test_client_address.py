"""The client's address: a proxy's header counts only from a trusted proxy, read from the right, validated."""

from __future__ import annotations

import ipaddress

import pytest

from leadline.collect.client_address import (
    LOOPBACK,
    ClientAddressPolicy,
    address_key,
    client_address,
    parse_address,
)
from leadline.config import Settings, parse_networks

PROXIES = ClientAddressPolicy(b"x-forwarded-for", parse_networks("10.0.0.0/8,2001:db8:ff::/48"))


def forwarded(*values: str) -> list[tuple[bytes, bytes]]:
    return [(b"host", b"stats.example"), *((b"x-forwarded-for", value.encode()) for value in values)]


def test_without_a_header_setting_the_peer_is_the_client() -> None:
    assert client_address(forwarded("203.0.113.9"), "10.0.0.2", ClientAddressPolicy()) == "10.0.0.2"


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address(forwarded("198.51.100.1"), "203.0.113.9", PROXIES) == "203.0.113.9"


def test_a_trusted_proxy_gives_the_address_it_appended() -> None:
    assert client_address(forwarded("203.0.113.9"), "10.0.0.2", PROXIES) == "203.0.113.9"


def test_what_the_client_claimed_left_of_the_proxy_entry_is_ignored() -> None:
    assert client_address(forwarded("198.51.100.1, 203.0.113.9"), "10.0.0.2", PROXIES) == "203.0.113.9"


def test_a_chain_of_proxies_gives_the_right_most_untrusted_address() -> None:
    headers = forwarded("198.51.100.1, 203.0.113.9, 10.1.1.1, 10.2.2.2")
    assert client_address(headers, "10.0.0.2", PROXIES) == "203.0.113.9"


def test_several_header_lines_are_one_list_in_order() -> None:
    headers = forwarded("198.51.100.1, 203.0.113.9", "10.1.1.1")
    assert client_address(headers, "10.0.0.2", PROXIES) == "203.0.113.9"


def test_a_chain_of_only_trusted_proxies_gives_its_left_most_address() -> None:
    assert client_address(forwarded("10.3.3.3, 10.1.1.1"), "10.0.0.2", PROXIES) == "10.3.3.3"


def test_a_trusted_peer_without_the_header_is_the_client() -> None:
    assert client_address(forwarded(), "10.0.0.2", PROXIES) == "10.0.0.2"
    assert client_address(forwarded(" , "), "10.0.0.2", PROXIES) == "10.0.0.2"


@pytest.mark.parametrize(
    "header",
    ["not-an-address", "203.0.113.9, unknown", "999.1.1.1", "203.0.113.9:port", "[2001:db8::1", "<script>"],
)
def test_an_invalid_entry_stops_the_walk_at_the_peer(header: str) -> None:
    assert client_address(forwarded(header), "10.0.0.2", PROXIES) == "10.0.0.2"


def test_an_invalid_entry_left_of_the_client_is_never_reached() -> None:
    assert client_address(forwarded("garbage, 203.0.113.9"), "10.0.0.2", PROXIES) == "203.0.113.9"


@pytest.mark.parametrize(
    ("header", "client"),
    [
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:DB8:0::1]", "2001:db8::1"),
        ("203.0.113.5:1234", "203.0.113.5"),
        ("203.0.113.5, [2001:db8:ff::7]:8443", "203.0.113.5"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
    ],
)
def test_ipv6_brackets_and_ports_are_read_as_proxies_write_them(header: str, client: str) -> None:
    assert client_address(forwarded(header), "2001:db8:ff::1", PROXIES) == client


@pytest.mark.parametrize("text", ["203.0.113.5:", "203.0.113.5:123456", "[2001:db8::1]443", "2001:db8::1]", ""])
def test_malformed_ports_and_brackets_are_not_addresses(text: str) -> None:
    assert parse_address(text) is None


def test_a_header_without_trusted_proxies_is_trusted_only_from_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEADLINE_CONFIG", "/nonexistent/leadline.toml")
    policy = ClientAddressPolicy.from_settings(Settings(client_ip_header="X-Forwarded-For"))
    assert (policy.header, policy.trusted_proxies, policy.loopback_by_default) == (b"x-forwarded-for", LOOPBACK, True)
    assert client_address(forwarded("203.0.113.9"), "127.0.0.1", policy) == "203.0.113.9"
    assert client_address(forwarded("203.0.113.9"), "::1", policy) == "203.0.113.9"
    assert client_address(forwarded("203.0.113.9"), "192.0.2.1", policy) == "192.0.2.1"


def test_trusted_proxies_from_settings_replace_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADLINE_CONFIG", "/nonexistent/leadline.toml")
    settings = Settings(client_ip_header="X-Real-Chain", trusted_proxies="192.0.2.0/24")
    policy = ClientAddressPolicy.from_settings(settings)
    assert policy.trusted_proxies == (ipaddress.ip_network("192.0.2.0/24"),) and not policy.loopback_by_default
    headers = [(b"x-real-chain", b"203.0.113.9")]
    assert client_address(headers, "192.0.2.1", policy) == "203.0.113.9"
    assert client_address(headers, "127.0.0.1", policy) == "127.0.0.1"


def test_the_address_key_is_stable_and_does_not_contain_the_address() -> None:
    key = address_key("203.0.113.9")
    assert key == address_key("203.0.113.9") != address_key("203.0.113.10")
    assert "203.0.113.9" not in key and len(key) == 32
