"""Change notices for in-process caches: repositories announce that a site's settings or events changed."""

from __future__ import annotations

import threading
from collections.abc import Callable

SiteListener = Callable[[str], None]


class SiteChanges:
    """Calls every subscriber with a site id after a committed write that changes what caches hold about it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: tuple[SiteListener, ...] = ()

    def subscribe(self, callback: SiteListener) -> None:
        # Copy on write: announcing reads one tuple and never waits for a subscriber being added.
        with self._lock:
            self._listeners = (*self._listeners, callback)

    def site_changed(self, site_id: str) -> None:
        for listener in self._listeners:
            listener(site_id)
