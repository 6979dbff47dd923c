"""Regions and cities for generated visitors, so that demo data fills the region and city panels without a file.

Countries come from the project's real geolocation data (see addresses.py); a MaxMind City file, when the
operator has one, is the truth for regions and cities too. Without one, each generated address is given one of
its country's large cities here, always the same one (a visitor keeps their city), with its region as
collect.geolocation records regions: the ISO 3166-2 code of the largest subdivision.
"""

from __future__ import annotations

import random
import zlib

from leadline.traffic.weighted import Weighted

# Per country of addresses.ADDRESS_RANGES: (ISO 3166-2 region, city, weight), roughly by population.
PLACES: dict[str, tuple[tuple[str, str, float], ...]] = {
    "US": (
        ("US-CA", "Los Angeles", 3),
        ("US-NY", "New York", 3),
        ("US-TX", "Houston", 2),
        ("US-IL", "Chicago", 1.5),
        ("US-WA", "Seattle", 1),
    ),
    "GB": (("GB-ENG", "London", 4), ("GB-ENG", "Manchester", 1), ("GB-SCT", "Edinburgh", 1)),
    "DE": (("DE-BE", "Berlin", 2), ("DE-BY", "Munich", 1.5), ("DE-HH", "Hamburg", 1)),
    "FR": (("FR-IDF", "Paris", 3), ("FR-ARA", "Lyon", 1)),
    "CA": (("CA-ON", "Toronto", 2), ("CA-QC", "Montreal", 1), ("CA-BC", "Vancouver", 1)),
    "IN": (("IN-MH", "Mumbai", 2), ("IN-DL", "Delhi", 2), ("IN-KA", "Bengaluru", 2)),
    "BR": (("BR-SP", "São Paulo", 2), ("BR-RJ", "Rio de Janeiro", 1)),
    "NL": (("NL-NH", "Amsterdam", 2), ("NL-ZH", "Rotterdam", 1)),
    "ES": (("ES-MD", "Madrid", 1), ("ES-CT", "Barcelona", 1)),
    "IT": (("IT-25", "Milan", 1), ("IT-62", "Rome", 1)),
    "JP": (("JP-13", "Tokyo", 2), ("JP-27", "Osaka", 1)),
    "AU": (("AU-NSW", "Sydney", 1), ("AU-VIC", "Melbourne", 1)),
    "MX": (("MX-CMX", "Mexico City", 2), ("MX-JAL", "Guadalajara", 1)),
    "SE": (("SE-AB", "Stockholm", 2), ("SE-O", "Gothenburg", 1)),
    "PL": (("PL-14", "Warsaw", 2), ("PL-12", "Kraków", 1)),
    "KR": (("KR-11", "Seoul", 1),),
    "ZA": (("ZA-GP", "Johannesburg", 1), ("ZA-WC", "Cape Town", 1)),
    "ID": (("ID-JK", "Jakarta", 1),),
    "VN": (("VN-SG", "Ho Chi Minh City", 1), ("VN-HN", "Hanoi", 1)),
    "BE": (("BE-BRU", "Brussels", 1), ("BE-VAN", "Antwerp", 1)),
}
_CHOICES: dict[str, Weighted[tuple[str, str]]] = {
    country: Weighted(((region, city), weight) for region, city, weight in places) for country, places in PLACES.items()
}


def synthetic_place(country_code: str, address: str) -> tuple[str, str]:
    """(region, city) of a generated address in `country_code`, the same on every call; ("", "") elsewhere."""
    choices = _CHOICES.get(country_code)
    if choices is None:
        return "", ""
    # Seeded by the address: the same visitor lands in the same city in every load (synthetic, not secret).
    return choices.pick(random.Random(zlib.crc32(address.encode())))  # noqa: S311
