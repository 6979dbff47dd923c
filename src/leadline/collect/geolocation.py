"""Country (from a database shipped inside a PyPI package) and, with a MaxMind file, city of an address."""

from __future__ import annotations

import ipaddress
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
        self.locate = lru_cache(maxsize=16384)(self._locate)

    def _locate(self, ip: str) -> Place:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return Place()
        if not address.is_global:
            return Place()
        country = iptocc.country_code(str(address)) or ""
        city = ""
        if self._city_reader is not None:
            record = self._city_reader.get(str(address))
            if isinstance(record, dict):
                country = record.get("country", {}).get("iso_code", country) or country
                city = record.get("city", {}).get("names", {}).get("en", "") or ""
        return Place(country_code=country.upper()[:2], city=city[:255])

    def close(self) -> None:
        if self._city_reader is not None:
            self._city_reader.close()
