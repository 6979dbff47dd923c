"""When visits happen: local days of the site's time zone (23 or 25 hours long across DST changes), busier
on weekday afternoons than at night or on weekends, with a growth trend, daily noise and rare spikes."""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

# Relative visits per local hour, 0h..23h.
WEEKDAY_HOURS = (
    0.22, 0.14, 0.10, 0.08, 0.08, 0.12, 0.25, 0.50, 0.80, 1.00, 1.10, 1.12,
    1.05, 1.10, 1.15, 1.10, 1.00, 0.90, 0.80, 0.78, 0.75, 0.65, 0.50, 0.35,
)  # fmt: skip
WEEKEND_HOURS = (
    0.30, 0.20, 0.14, 0.10, 0.09, 0.10, 0.15, 0.25, 0.40, 0.55, 0.65, 0.70,
    0.72, 0.72, 0.70, 0.68, 0.66, 0.65, 0.66, 0.68, 0.66, 0.58, 0.48, 0.38,
)  # fmt: skip
# An average full day (over a week) weighs 1.
_AVERAGE_DAY = (5 * sum(WEEKDAY_HOURS) + 2 * sum(WEEKEND_HOURS)) / 7
GROWTH = (0.8, 1.2)  # traffic at the start and at the end of the range, relative to the average
DAILY_NOISE = (0.85, 1.15)
SPIKE_CHANCE, SPIKE_FACTOR = 0.02, (2.0, 4.0)  # a day on a news site's front page


def local_midnight(day: date, zone: ZoneInfo) -> float:
    # Where midnight does not exist (DST at 00:00) this is the instant the day begins anyway, and it is the
    # same instant that ends the day before, so days tile the time line without gaps or overlaps.
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


@dataclass(frozen=True, slots=True)
class LocalDay:
    day: date
    start: float  # Unix time of local midnight
    end: float  # Unix time of the next local midnight
    pieces: tuple[tuple[float, float], ...]  # [from, to) Unix times of its hours that lie inside the range
    cumulative: tuple[float, ...]  # running sum of the pieces' weights
    intensity: float  # its expected share of an average day's traffic (before trend, noise and spikes)

    def visit_start(self, rng: random.Random) -> float:
        """A moment inside the day (and the range), more likely in busy local hours."""
        draw = rng.random() * self.cumulative[-1]
        low, high = self.pieces[min(bisect(self.cumulative, draw), len(self.pieces) - 1)]
        return low + (high - low) * rng.random()


def local_days(start: float, end: float, zone: ZoneInfo) -> list[LocalDay]:
    """The local days that overlap [start, end), each cut to the range; days with no time in it are left out."""
    days: list[LocalDay] = []
    day = datetime.fromtimestamp(start, zone).date()
    day_start = local_midnight(day, zone)
    while day_start < end:
        following = day + timedelta(days=1)
        day_end = local_midnight(following, zone)
        profile = WEEKEND_HOURS if day.weekday() >= 5 else WEEKDAY_HOURS
        pieces: list[tuple[float, float]] = []
        weights: list[float] = []
        hour_start = day_start
        while hour_start < day_end:
            # Hours of elapsed time from local midnight: the skipped hour of a spring-forward day has no piece,
            # the repeated hour of a fall-back day has two.
            hour_end = min(hour_start + 3600, day_end)
            low, high = max(hour_start, start), min(hour_end, end)
            if low < high:
                pieces.append((low, high))
                weights.append(profile[datetime.fromtimestamp(hour_start, zone).hour] * (high - low) / 3600)
            hour_start = hour_end
        if pieces:
            cumulative = tuple(accumulate(weights))
            days.append(LocalDay(day, day_start, day_end, tuple(pieces), cumulative, cumulative[-1] / _AVERAGE_DAY))
        day, day_start = following, day_end
    return days


def daily_hits(
    days: list[LocalDay], rng: random.Random, start: float, end: float, hits_per_day: float, total_hits: int | None
) -> list[int]:
    """How many hits each day gets: `hits_per_day` on an average day, or exactly `total_hits` in all."""
    span = end - start
    weights = []
    for day in days:
        position = (max(day.start, start) + min(day.end, end)) / 2 - start
        trend = GROWTH[0] + (GROWTH[1] - GROWTH[0]) * position / span
        weight = day.intensity * trend * rng.uniform(*DAILY_NOISE)
        if rng.random() < SPIKE_CHANCE:
            weight *= rng.uniform(*SPIKE_FACTOR)
        weights.append(weight)
    if total_hits is None:
        return [round(hits_per_day * weight) for weight in weights]
    return _apportion(total_hits, weights)


def _apportion(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, exactly (largest remainders get the leftover units)."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    shares = [total * weight / whole for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda index: (counts[index] - shares[index], index))
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return counts
