"""Country (from a database shipped inside a PyPI package) and, with a MaxMind file, city of an address."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import iptocc
import maxminddb


@dataclass(frozen=True, slots=True)
class Place:
    country_code: str = ""
    city: str = ""


class Geolocator:
    """Looks addresses up in memory; the address itself is never kept beyond the call."""

    def __init__(self, city_database: Path | None = None) -> None:
        self._city_reader: Any = maxminddb.open_database(str(city_database)) if city_database else None
        self.locate = lru_cache(maxsize=65536)(self._locate)

    def _locate(self, ip: str) -> Place:
        # iptocc knows only public ranges: private, loopback and malformed addresses have no country.
        country = iptocc.country_code(ip) or ""
        city = ""
        if self._city_reader is not None and country:
            try:
                record = self._city_reader.get(ip)
            except ValueError:
                record = None
            if isinstance(record, dict):
                country = record.get("country", {}).get("iso_code", country) or country
                city = record.get("city", {}).get("names", {}).get("en", "") or ""
        return Place(country_code=country.upper()[:2], city=city[:255])

    def close(self) -> None:
        if self._city_reader is not None:
            self._city_reader.close()
