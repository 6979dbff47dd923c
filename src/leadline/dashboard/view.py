"""Which dashboard a request sees: the owner's, a shared read-only one, or the chrome-less embed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from leadline.store.metadata.records import Site

ViewMode = Literal["owner", "shared", "embed"]


@dataclass(frozen=True)
class View:
    """Built by the routes after authorizing the request; the site dashboard renders only from this."""

    site: Site
    mode: ViewMode
    base_path: str  # "/sites/{id}" for the owner, "/share/{id}" for shared and embedded views

    @property
    def read_only(self) -> bool:
        return self.mode != "owner"

    @property
    def chrome(self) -> bool:
        """Navigation and footer: absent from the embed, which lives in someone else's page."""
        return self.mode != "embed"
