"""A small trend line as inline SVG: a polyline over a series, drawn on the server (no script, no library)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 120
HEIGHT = 32
PADDING = 2


def points(values: Sequence[float], width: int = WIDTH, height: int = HEIGHT) -> str:
    """The polyline's `points`: the series spread across the width, its maximum touching the top."""
    if not values:
        return ""
    top = max(values) or 1.0
    step = (width - 2 * PADDING) / max(len(values) - 1, 1)
    usable = height - 2 * PADDING
    return " ".join(
        f"{PADDING + index * step:.1f},{PADDING + usable - usable * (value / top):.1f}"
        for index, value in enumerate(values)
    )


def sparkline(values: Sequence[float], label: str) -> Markup:
    """An accessible SVG image of `values` (its name, `label`, says what it shows in words)."""
    line = points(values)
    # Safe: the only text is `label`, escaped; the rest are numbers this module formats.
    return Markup(  # noqa: S704
        f'<svg class="sparkline" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(label)}" focusable="false">'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" '
        f'stroke-linecap="round" points="{line}"/></svg>'
    )
