"""Progress bars for long CLI work: rich on a terminal, silent with ``--quiet`` or when piped."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

__all__ = ["ProgressCallback", "progress_bar", "show_progress"]

#: ``callback(step, done, total)``: what is being done, and how far along.
ProgressCallback = Callable[[str, int, int], None]


def show_progress(quiet: bool = False) -> bool:
    """Whether to draw progress bars: not with ``--quiet``, and only on a terminal (stdout and
    stderr both TTYs, so piped or redirected output stays clean)."""
    return not quiet and sys.stdout.isatty() and sys.stderr.isatty()


@contextlib.contextmanager
def progress_bar(description: str, *, quiet: bool = False) -> Iterator[ProgressCallback]:
    """A progress bar on stderr for a ``with`` block; yields the callback that advances it.

    The callback is a no-op when :func:`show_progress` is false, so callers need not check.
    """
    if not show_progress(quiet):
        yield lambda step, done, total: None
        return
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        TaskProgressColumn(), TextColumn("{task.fields[step]}"),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    with progress:
        task = progress.add_task(description, total=None, step="")

        def advance(step: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total or None, step=step)

        yield advance
