"""How the site dashboard writes numbers for people: counts, durations, rates and changes."""

from __future__ import annotations


def compact_count(value: float) -> str:
    """1234 -> "1.2k", 2500000 -> "2.5M"; small counts exactly."""
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            text = f"{value / size:.1f}".removesuffix(".0")
            return text + suffix
    return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"


def duration(seconds: float) -> str:
    """Seconds as "1h 2m", "3m 20s" or "45s"."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def metric_value(metric: str, value: float) -> str:
    if metric == "avg_duration":
        return duration(value)
    if metric == "bounce_rate":
        return f"{value * 100:.0f}%"
    return compact_count(value)


def cents(value: float) -> str:
    return f"{value / 100:,.2f}"


def change(metric: str, current: float, previous: float | None) -> tuple[str, str]:
    """The change against the previous period and its direction ("up", "down", "flat" or "none").

    Rates change in percentage points; everything else in percent of the previous value.
    """
    if previous is None:
        return "", "none"
    if metric == "bounce_rate":
        difference = round((current - previous) * 100)
        text = f"{difference:+d} pts"
    elif previous == 0:
        return ("new", "up") if current else ("0%", "flat")
    else:
        difference = round((current - previous) / previous * 100)
        text = f"{difference:+d}%"
    return text.replace("+0", "0"), "up" if difference > 0 else "down" if difference < 0 else "flat"
