"""The collector's Geolocator with a memo large enough for a bulk load's whole pool of visitor addresses."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from leadline.collect.geolocation import Geolocator, Place
from leadline.traffic.places import synthetic_place

BULK_CACHE_SIZE = 1 << 18


class BulkGeolocator(Geolocator):
    """Same lookups; the collector's 16k-entry memo would miss on most new visitors of a months-long load.

    With `synthetic_places` and no MaxMind City file, generated visitors get a made-up region and city of their
    country (traffic.places), so demo data shows regions and cities; with a file, the file decides as it does
    live. Off by default: bulk loads otherwise store exactly what the collector would.
    """

    def __init__(
        self, city_database: Path | None = None, cache_size: int = BULK_CACHE_SIZE, *, synthetic_places: bool = False
    ) -> None:
        super().__init__(city_database)
        self._synthetic_places = synthetic_places and city_database is None
        # Generated addresses are nobody's, so this memo may key by the address itself and skip the hash.
        self.locate = lru_cache(maxsize=cache_size)(self._locate)  # type: ignore[method-assign]

    def _locate(self, ip: str) -> Place:
        place = super()._locate(ip)
        if not self._synthetic_places or not place.country_code:
            return place
        region, city = synthetic_place(place.country_code, ip)
        return replace(place, region=region, city=city)
