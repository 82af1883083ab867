"""Solving a linopy model with HiGHS: the one place that calls the solver.

HiGHS writes a banner to file descriptor 1 when it runs; :func:`solve_with_highs` sends it to
stderr, so a command's ``--format json`` output stays pure JSON whoever calls the solver (the
newsvendor, the portfolio program, the strategic exporter's importer).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

from spigot.errors import SpigotError

__all__ = ["solve_with_highs", "stdout_to_stderr"]


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send what C libraries write to file descriptor 1 to stderr for the duration (dropped
    when there is no stderr descriptor; nothing is redirected without a stdout descriptor)."""
    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a captured stream without a descriptor
        yield
        return
    saved = os.dup(fd)
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        try:
            os.dup2(sys.stderr.fileno(), fd)
        except (AttributeError, OSError, ValueError):  # no stderr descriptor: drop the banner
            os.dup2(sink, fd)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, fd)
        os.close(saved)
        os.close(sink)


def solve_with_highs(model: Any, what: str) -> float:
    """Solve ``model`` (a ``linopy.Model``) with HiGHS, quietly; returns the solve time, s.

    Raises
    ------
    SpigotError
        If HiGHS does not report an optimum (``what`` names the program in the message).
    """
    start = time.perf_counter()
    with stdout_to_stderr():
        status, condition = model.solve(solver_name="highs", io_api="direct", progress=False,
                                        output_flag=False)
    seconds = time.perf_counter() - start
    if status != "ok":
        raise SpigotError(f"HiGHS did not solve the {what}: {status}, {condition}")
    return seconds
