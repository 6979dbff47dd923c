"""The client's address, from the socket or (behind a trusted proxy) from the header the proxy sets."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from leadline.config import IPAddress, IPNetwork, Settings

# With a header but no trusted proxies, only a proxy on this machine may set it (see README, Configuration).
LOOPBACK: tuple[IPNetwork, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

# Keys rate-limit counters by address without storing the address: fresh each process, never written anywhere.
_ADDRESS_KEY = secrets.token_bytes(16)


@dataclass(frozen=True)
class ClientAddressPolicy:
    """Which header names the client, and which peers may set it; built once from settings."""

    header: bytes | None = None  # lower-case header name; None: the socket's peer is the client
    trusted_proxies: tuple[IPNetwork, ...] = ()
    loopback_by_default: bool = False  # a header is set but no trusted proxies: loopback peers only

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientAddressPolicy:
        if not settings.client_ip_header:
            return cls()
        header = settings.client_ip_header.strip().lower().encode("latin-1")
        networks = settings.trusted_proxy_networks
        return cls(header, networks or LOOPBACK, loopback_by_default=not networks)

    def trusts(self, address: IPAddress) -> bool:
        return any(address in network for network in self.trusted_proxies)


def parse_address(text: str) -> IPAddress | None:
    """An address as proxies write it (`203.0.113.5`, `203.0.113.5:1234`, `[2001:db8::1]:443`), or None."""
    text = text.strip()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and _is_port(rest[1:]))):
            return None
    elif text.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has at least two colons
        host, _, port = text.partition(":")
        if not _is_port(port):
            return None
    else:
        host = text
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; they are IPv4 clients.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5


def client_address(headers: Iterable[tuple[bytes, bytes]], peer: str, policy: ClientAddressPolicy) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy and the header names someone else.

    Each proxy appends the address it saw, so the header is read from the right: trusted proxies are
    skipped and the first untrusted address is the client (entries left of it are whatever the client
    claimed). An entry that is not an address stops the walk and the peer is used: past a malformed
    entry nothing can be trusted. A chain of only trusted proxies gives its left-most address.
    """
    if policy.header is None:
        return peer
    peer_address = parse_address(peer)
    if peer_address is None or not policy.trusts(peer_address):
        return peer
    # Several header lines are one comma-separated list, in order (RFC 9110 §5.3).
    values = [value.decode("latin-1") for name, value in headers if name == policy.header]
    entries = [entry for entry in ",".join(values).split(",") if entry.strip()]
    found = peer
    for entry in reversed(entries):
        address = parse_address(entry)
        if address is None:
            return peer
        found = str(address)
        if not policy.trusts(address):
            return found
    return found


def address_key(address: str) -> str:
    """A stand-in for `address` as a counter key: stable in this process, not reversible without its key."""
    return hashlib.blake2b(address.encode(), key=_ADDRESS_KEY, digest_size=16).hexdigest()
