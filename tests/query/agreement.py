"""Comparing an engine's shaped answer (strings) with the oracle's (numbers), with float tolerance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

TOLERANCE = {"avg_duration": 0.006, "bounce_rate": 0.00006}


def assert_same_answer(actual: Sequence[dict[str, str]], expected: Sequence[dict[str, Any]]) -> None:
    assert len(actual) == len(expected), f"{len(actual)} rows, expected {len(expected)}:\n{actual}\n{expected}"
    for position, (got, want) in enumerate(zip(actual, expected, strict=True)):
        assert set(got) == set(want), f"row {position}: keys {sorted(got)} != {sorted(want)}"
        for name, value in want.items():
            if isinstance(value, str):
                assert got[name] == value, f"row {position} {name}: {got[name]!r} != {value!r}"
            else:
                assert abs(float(got[name]) - value) <= TOLERANCE.get(name, 0), (
                    f"row {position} {name}: {got[name]} != {value}\n{actual}\n{expected}"
                )
