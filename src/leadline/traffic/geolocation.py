"""The collector's Geolocator with a memo large enough for a bulk load's whole pool of visitor addresses."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from leadline.collect.geolocation import Geolocator

BULK_CACHE_SIZE = 1 << 18


class BulkGeolocator(Geolocator):
    """Same lookups; the collector's 16k-entry memo would miss on most new visitors of a months-long load."""

    def __init__(self, city_database: Path | None = None, cache_size: int = BULK_CACHE_SIZE) -> None:
        super().__init__(city_database)
        # Generated addresses are nobody's, so this memo may key by the address itself and skip the hash.
        self.locate = lru_cache(maxsize=cache_size)(self._locate)  # type: ignore[method-assign]
