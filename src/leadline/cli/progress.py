"""Progress bars for long operator commands, drawn on stderr so that stdout keeps only the answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from leadline.cli.output import errors

# (step, done, total): a bar per step, made when the step first reports.
StepProgress = Callable[[str, int, int], None]


@contextmanager
def progress_bars(labels: dict[str, str] | None = None) -> Iterator[StepProgress]:
    """A callback that draws one bar per named step; `labels` gives steps a longer description."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=errors, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task((labels or {}).get(step, step), total=total)
            progress.update(tasks[step], completed=done, total=total)

        yield advance
