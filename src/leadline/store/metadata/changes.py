"""Change notices for caches: repositories announce that a site's settings or events changed.

Subscribers are this process's caches. Forwarders carry this process's own notices further (to the other
workers of a deployment, through Redis); notices that arrive from there reach the subscribers only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

SiteListener = Callable[[str], None]


class SiteChanges:
    """Calls every subscriber with a site id after a committed write that changes what caches hold about it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: tuple[SiteListener, ...] = ()
        self._forwarders: tuple[SiteListener, ...] = ()

    def subscribe(self, callback: SiteListener) -> None:
        # Copy on write: announcing reads one tuple and never waits for a subscriber being added.
        with self._lock:
            self._listeners = (*self._listeners, callback)

    def forward_to(self, callback: SiteListener) -> None:
        """Also give `callback` every change made in this process (not those that came from elsewhere)."""
        with self._lock:
            self._forwarders = (*self._forwarders, callback)

    def site_changed(self, site_id: str) -> None:
        self.changed_elsewhere(site_id)
        for forwarder in self._forwarders:
            forwarder(site_id)

    def changed_elsewhere(self, site_id: str) -> None:
        """A change another process made and announced: this process's caches forget the site."""
        for listener in self._listeners:
            listener(site_id)
