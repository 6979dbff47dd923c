"""Country (from a database shipped inside a PyPI package) and, with a MaxMind file, region and city of an address."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import iptocc
import maxminddb

PLACES_KEPT = 65536  # distinct places remembered (see Geolocator); a flood of new ones empties the memo


@dataclass(frozen=True, slots=True)
class Place:
    country_code: str = ""
    city: str = ""
    region: str = ""  # ISO 3166-2 code of the largest subdivision ("US-CA", "DE-BE"): unique, unlike names


class Geolocator:
    """Looks addresses up in memory; no address is kept, not even a hash of one.

    Every lookup reads the databases (iptocc's answers in a fraction of a microsecond); what is remembered is
    the Place objects by what they say, so that a hit costs no new object: the memo's keys are places, never
    addresses.
    """

    def __init__(self, city_database: Path | None = None) -> None:
        self._city_reader: Any = maxminddb.open_database(str(city_database)) if city_database else None
        self._places: dict[tuple[str, str, str], Place] = {}

    def locate(self, ip: str) -> Place:
        """The place of `ip`."""
        return self._locate(ip)

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
        found = (country, region, city)
        place = self._places.get(found)
        if place is None:
            if len(self._places) >= PLACES_KEPT:
                self._places.clear()
            place = self._places[found] = Place(country_code=country.upper()[:2], region=region, city=city[:255])
        return place

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
