"""The client's address, from the socket or (behind a trusted proxy) from the header the proxy sets."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

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
    # The IPv4 networks as (network, mask) integers: the hot path checks a peer with two integer operations.
    _ipv4_networks: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ipv4 = tuple(
            (int(network.network_address), int(network.netmask))
            for network in self.trusted_proxies
            if isinstance(network, ipaddress.IPv4Network)
        )
        object.__setattr__(self, "_ipv4_networks", ipv4)

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientAddressPolicy:
        if not settings.client_ip_header:
            return cls()
        header = settings.client_ip_header.strip().lower().encode("latin-1")
        networks = settings.trusted_proxy_networks
        return cls(header, networks or LOOPBACK, loopback_by_default=not networks)

    def trusts(self, address: IPAddress) -> bool:
        return any(address in network for network in self.trusted_proxies)

    def trusts_ipv4(self, value: int) -> bool:
        """`trusts` for an IPv4 address given as its integer value."""
        # A loop, not any(<generator>): this runs twice per hit, and the generator costs more than the test.
        for network, mask in self._ipv4_networks:  # noqa: SIM110
            if value & mask == network:
                return True
        return False


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


def _ipv4_value(text: str) -> int | None:
    """The integer value of `text` if it is an IPv4 address written as `str(IPv4Address)` writes it, else None.

    Nearly every address a collector sees has this form; `inet_pton` reads it in C, where `ipaddress` takes
    microseconds. Other spellings (leading zeros, ports, IPv6) answer None and take `parse_address`.
    """
    try:
        packed = socket.inet_pton(socket.AF_INET, text)
    except (OSError, ValueError):  # not dotted-quad IPv4; ValueError: NUL or non-ASCII characters
        return None
    # inet_pton also reads spellings that ipaddress refuses or writes differently ("010.1.1.1"): only the
    # canonical one is taken here, so the visitor hash sees the same text whichever path read the address.
    return int.from_bytes(packed, "big") if socket.inet_ntop(socket.AF_INET, packed) == text else None


def _read_address(text: str, policy: ClientAddressPolicy) -> tuple[str, bool] | None:
    """(the address in canonical form, whether it is a trusted proxy), or None when `text` is no address."""
    value = _ipv4_value(text)
    if value is not None:
        return text, policy.trusts_ipv4(value)
    address = parse_address(text)
    if address is None:
        return None
    return str(address), policy.trusts(address)


def client_address(headers: Iterable[tuple[bytes, bytes]], peer: str, policy: ClientAddressPolicy) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy and the header names someone else.

    Each proxy appends the address it saw, so the header is read from the right: trusted proxies are
    skipped and the first untrusted address is the client (entries left of it are whatever the client
    claimed). An entry that is not an address stops the walk and the peer is used: past a malformed
    entry nothing can be trusted. A chain of only trusted proxies gives its left-most address.
    """
    if policy.header is None:
        return peer
    read = _read_address(peer, policy)
    if read is None or not read[1]:
        return peer
    # Several header lines are one comma-separated list, in order (RFC 9110 §5.3).
    values = [value for name, value in headers if name == policy.header]
    entries = [entry.strip() for entry in b",".join(values).decode("latin-1").split(",")]
    found = peer
    for entry in reversed(entries):
        if not entry:
            continue  # empty entries (`a,,b`, a blank header) name nobody
        read = _read_address(entry, policy)
        if read is None:
            return peer
        found, trusted = read
        if not trusted:
            return found
    return found


def address_key(address: str) -> str:
    """A stand-in for `address` as a counter key: stable in this process, not reversible without its key."""
    return hashlib.blake2b(address.encode(), key=_ADDRESS_KEY, digest_size=16).hexdigest()
