"""``spigot report``: write a stored run's self-contained HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from spigot._lazy import lazy_from
from spigot.cli.progress import progress_bar
from spigot.cli.runs import StoreOption, open_store

if TYPE_CHECKING:
    from spigot import datasets
    from spigot.report import write_comparison, write_report
else:
    datasets = lazy_from("spigot", "datasets")
    write_comparison = lazy_from("spigot.report", "write_comparison")
    write_report = lazy_from("spigot.report", "write_report")


__all__ = ["report"]


def report(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix of one, or 'latest'.")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="HTML file to write (default: report-<run id>.html).",
        show_default=False)] = None,
    dataset: Annotated[str | None, typer.Option(
        "--dataset", "-d", help="Dataset the run used, by name or folder, for the base flows "
        "(default: the bundled dataset named in the run's manifest).", show_default=False)]
    = None,
    against: Annotated[str | None, typer.Option(
        "--against", help="Reference run (id, prefix or 'latest'): write the comparison of "
        "RUN_ID (B) against it (A) instead.", show_default=False)] = None,
    store: StoreOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Write one self-contained HTML report of a stored run (opens offline) and print its path."""
    runs = open_store(store)
    resolved = runs.resolve(run_id)
    if against is not None:
        reference = runs.resolve(against)
        target = output or Path(f"compare-{reference}-{resolved}.html")
        with progress_bar("report", quiet=quiet) as advance:
            advance("reading runs and drawing charts", 0, 1)
            path = write_comparison(runs, reference, resolved, target)
            advance("written", 1, 1)
        typer.echo(str(path))
        return
    network = datasets.load(dataset) if dataset else None
    target = output or Path(f"report-{resolved}.html")
    with progress_bar("report", quiet=quiet) as advance:
        advance("reading run and drawing charts", 0, 1)
        path = write_report(runs, resolved, target, network)
        advance("written", 1, 1)
    typer.echo(str(path))
