"""Country (from a database shipped inside a PyPI package) and, with a MaxMind file, region and city of an address."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import iptocc
import maxminddb

from leadline.collect.client_address import address_key

MEMO_SIZE = 65536


@dataclass(frozen=True, slots=True)
class Place:
    country_code: str = ""
    city: str = ""
    region: str = ""  # ISO 3166-2 code of the largest subdivision ("US-CA", "DE-BE"): unique, unlike names


class Geolocator:
    """Looks addresses up in memory; the address itself is never kept beyond the call."""

    def __init__(self, city_database: Path | None = None, memo_size: int = MEMO_SIZE) -> None:
        self._city_reader: Any = maxminddb.open_database(str(city_database)) if city_database else None
        self._memo_size = memo_size
        self._places: dict[str, Place] = {}

    def locate(self, ip: str) -> Place:
        """The place of `ip`; remembered under a keyed hash of the address, so no raw address stays in memory."""
        key = address_key(ip)
        place = self._places.get(key)
        if place is None:
            if len(self._places) >= self._memo_size:
                self._places.clear()  # a flood of new addresses must not grow memory without bound
            place = self._places[key] = self._locate(ip)
        return place

    def _locate(self, ip: str) -> Place:
        # iptocc knows only public ranges: private, loopback and malformed addresses have no country.
        country = iptocc.country_code(ip) or ""
        region = city = ""
        if self._city_reader is not None and country:
            try:
                record = self._city_reader.get(ip)
            except ValueError:
                record = None
            if isinstance(record, dict):
                country = record.get("country", {}).get("iso_code", country) or country
                region = _region_code(country, record.get("subdivisions"))
                city = record.get("city", {}).get("names", {}).get("en", "") or ""
        return Place(country_code=country.upper()[:2], region=region, city=city[:255])

    def close(self) -> None:
        if self._city_reader is not None:
            self._city_reader.close()


def _region_code(country: str, subdivisions: Any) -> str:
    """The ISO 3166-2 code of a City record's first (largest) subdivision: MaxMind stores it without the country."""
    if not isinstance(subdivisions, list) or not subdivisions or not isinstance(subdivisions[0], dict):
        return ""
    code = subdivisions[0].get("iso_code")
    if not isinstance(code, str) or not code.isascii() or not code.isalnum() or len(code) > 3:
        return ""  # ISO 3166-2 subdivision parts are one to three letters or digits
    return f"{country.upper()[:2]}-{code.upper()}"
