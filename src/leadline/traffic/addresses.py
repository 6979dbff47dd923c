"""Visitor addresses from public ranges whose country the project's geolocation data agrees on.

Each range was checked with `iptocc.country_code` (every address of the IPv4 ones; samples of the IPv6 ones),
and tests/traffic checks them again, so a generated visitor's country is known before the pipeline sees it.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator
from dataclasses import dataclass

from leadline.traffic.weighted import Weighted


@dataclass(frozen=True, slots=True)
class AddressRange:
    country_code: str
    network: str
    weight: float


ADDRESS_RANGES: tuple[AddressRange, ...] = (
    AddressRange("US", "24.0.0.0/16", 12),
    AddressRange("US", "73.0.0.0/16", 10),
    AddressRange("US", "2601::/20", 8),
    AddressRange("GB", "80.0.0.0/16", 4),
    AddressRange("GB", "81.2.69.0/24", 1),
    AddressRange("GB", "2a00:23c0::/27", 3),
    AddressRange("DE", "5.9.0.0/16", 2),
    AddressRange("DE", "85.214.0.0/16", 2),
    AddressRange("DE", "2003::/19", 4),
    AddressRange("FR", "90.0.0.0/16", 3),
    AddressRange("FR", "2a01:cb00::/24", 2),
    AddressRange("CA", "142.64.0.0/16", 2),
    AddressRange("CA", "99.224.0.0/16", 2),
    AddressRange("IN", "117.192.0.0/16", 3),
    AddressRange("IN", "2409:4000::/22", 3),
    AddressRange("BR", "189.0.0.0/16", 2),
    AddressRange("BR", "2804:14c::/32", 1.5),
    AddressRange("NL", "2.16.0.0/16", 1.5),
    AddressRange("NL", "2a02:a440::/29", 1.5),
    AddressRange("ES", "88.0.0.0/16", 2),
    AddressRange("IT", "79.0.0.0/16", 2),
    AddressRange("JP", "126.0.0.0/16", 1.5),
    AddressRange("JP", "2400:4050::/32", 1.5),
    AddressRange("AU", "1.128.0.0/16", 1.5),
    AddressRange("AU", "2001:8003::/32", 1),
    AddressRange("MX", "187.192.0.0/16", 1.5),
    AddressRange("SE", "92.0.0.0/16", 1),
    AddressRange("PL", "83.0.0.0/16", 1),
    AddressRange("KR", "115.0.0.0/16", 1),
    AddressRange("ZA", "41.0.0.0/16", 0.6),
    AddressRange("ID", "182.0.0.0/16", 0.6),
    AddressRange("VN", "117.0.0.0/16", 0.6),
    AddressRange("BE", "2a02:1810::/28", 0.5),
)
# Crawlers come from data centres; these addresses are American.
BOT_RANGES: tuple[AddressRange, ...] = (AddressRange("US", "8.8.8.0/24", 1), AddressRange("US", "70.0.0.0/16", 1))


# Odd and not a multiple of 127, so multiplying by it permutes the hosts of a range (2**k or 254 * 2**k of them):
# the chosen addresses are distinct and spread out.
_SPREAD = 0x9E3779B97F4A7C15


class AddressPicker:
    """Addresses from a pool of about `size` (split among the ranges by weight), like a city's households.

    A bounded pool keeps lookups by address (the collector's geolocation cache) warm in long loads, and
    still gives many distinct (address, browser) visitors.
    """

    def __init__(self, ranges: tuple[AddressRange, ...], size: int) -> None:
        total = sum(entry.weight for entry in ranges)
        pools: list[tuple[_Pool, float]] = []
        for entry in ranges:
            network = ipaddress.ip_network(entry.network)
            pool = max(1, min(_hosts(network.num_addresses, network.version), round(size * entry.weight / total)))
            pools.append(
                (
                    (entry.country_code, int(network.network_address), network.num_addresses, network.version, pool),
                    entry.weight,
                )
            )
        self._pools = Weighted(pools)

    def pick(self, rng: random.Random) -> str:
        _, base, size, version, pool = self._pools.pick(rng)
        return _address(base, size, version, rng.randrange(pool))

    def pool(self) -> Iterator[tuple[str, str]]:
        """Every address this picker can give, with the country it was chosen for."""
        for country_code, base, size, version, pool in self._pools.items:
            for index in range(pool):
                yield country_code, _address(base, size, version, index)


_Pool = tuple[str, int, int, int, int]  # country, first address, range size, IP version, addresses in the pool


def _hosts(size: int, version: int) -> int:
    """How many addresses of a range can be picked: IPv4 ones skip .0 and .255 (network and broadcast look)."""
    return size if version == 6 else size // 256 * 254 if size >= 256 else size


def _address(base: int, size: int, version: int, index: int) -> str:
    if version == 6:
        return ipaddress.IPv6Address(base + (index * _SPREAD + 1) % size).compressed
    # Number the hosts 254 per /24 and permute them (the multiplier shares no factor with 254 * 2**k).
    host = (index * _SPREAD + 1) % _hosts(size, version)
    address = base + (host // 254 * 256 + host % 254 + 1 if size >= 256 else host)
    return f"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}"
