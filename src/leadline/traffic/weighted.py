"""Picking from a fixed list by weight with one random draw (random.choices costs several times more)."""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterable
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        items: list[T] = []
        weights: list[float] = []
        for item, weight in pairs:
            if weight < 0:
                raise ValueError("weights cannot be negative")
            items.append(item)
            weights.append(weight)
        if not items or sum(weights) <= 0:
            raise ValueError("a weighted choice needs at least one item with a positive weight")
        self.items = tuple(items)
        self._cumulative = tuple(accumulate(weights))
        self._total = self._cumulative[-1]
        self._last = len(items) - 1

    def pick(self, rng: random.Random) -> T:
        # min(): rounding can put the draw on the very end of the last interval.
        return self.items[min(bisect(self._cumulative, rng.random() * self._total), self._last)]
