"""Who visits: new visitors (an address and a browser), and returning ones first seen on an earlier day."""

from __future__ import annotations

import random
from dataclasses import dataclass

from leadline.traffic.addresses import ADDRESS_RANGES, AddressPicker
from leadline.traffic.agents import BROWSERS


@dataclass(frozen=True, slots=True)
class Visitor:
    ip: str
    user_agent: str


class VisitorPool:
    def __init__(self, returning_share: float, addresses: int, capacity: int = 50_000) -> None:
        self._returning_share = returning_share
        self._addresses = AddressPicker(ADDRESS_RANGES, addresses)
        self._capacity = capacity
        self._earlier: list[Visitor] = []  # seen on earlier days; only these can return
        self._today: list[Visitor] = []

    def next(self, rng: random.Random) -> Visitor:
        if self._earlier and rng.random() < self._returning_share:
            return self._earlier[rng.randrange(len(self._earlier))]
        visitor = Visitor(self._addresses.pick(rng), BROWSERS.pick(rng))
        self._today.append(visitor)
        return visitor

    def end_day(self, rng: random.Random) -> None:
        """Today's new visitors may return from tomorrow on; beyond capacity they replace random older ones."""
        for visitor in self._today:
            if len(self._earlier) < self._capacity:
                self._earlier.append(visitor)
            else:
                self._earlier[rng.randrange(self._capacity)] = visitor
        self._today = []
