"""``spigot runs``: list, show, delete and export stored runs."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spigot._lazy import lazy_from, lazy_import
from spigot.cli.output import Format, FormatOption, emit, to_jsonable
from spigot.cli.progress import progress_bar
from spigot.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

    from spigot import scenarios
    from spigot.store import RunStore
else:
    scenarios = lazy_from("spigot", "scenarios")
    RunStore = lazy_from("spigot.store", "RunStore")
    pd = lazy_import("pandas")

__all__ = ["StoreOption", "app", "open_store", "save_results", "scenario_text_of"]

app = typer.Typer(help="Stored runs: list, show, delete, export.", no_args_is_help=True)

StoreOption = Annotated[Path | None, typer.Option(
    "--store", help="Run store folder (default: $SPIGOT_STORE, else ~/.spigot/runs).",
    show_default=False)]
RunArgument = Annotated[str, typer.Argument(help="Run id, a unique prefix of one, or 'latest'.")]


def open_store(path: Path | None) -> RunStore:
    """The run store at ``path``, or the default one."""
    return RunStore(path)


def scenario_text_of(name: str, dataset: str | None = None) -> str:
    """The YAML text of a built-in scenario or a scenario file (as the user wrote it).

    With ``dataset`` (``spigot run --dataset``) its top-level ``dataset:`` line names that world
    instead (added if the text has none), so the stored text is what was run.
    """
    if name in scenarios.names():
        text = scenarios.path(name).read_text(encoding="utf-8")
    else:
        text = Path(name).read_text(encoding="utf-8")
    if dataset is None:
        return text
    line = f"dataset: {json.dumps(dataset)}  # spigot run --dataset"
    text, n = re.subn(r"(?m)^dataset:.*$", lambda _: line, text, count=1)
    return text if n else f"{line}\n{text}"


def save_results(results: Any, scenario_text: str, store: Path | None, *, kind: str = "run",
                 quiet: bool = False) -> str:
    """Save a run's results to the store (with a progress bar on a terminal); return the run id.

    For ``spigot run`` and ``spigot replay``: a note naming the run goes to stderr, so the
    command's own output (``--format json``) stays clean.
    """
    runs = open_store(store)
    with progress_bar("saving", quiet=quiet) as advance:
        run_id = runs.save_results(results, scenario_text, kind, progress=advance)
    if not quiet:
        typer.echo(f"saved {kind} {run_id} to {runs.path} (spigot report {run_id} -o report.html)",
                   err=True)
    return run_id


@app.command("list")
def list_runs(
    kind: Annotated[str | None, typer.Option(
        help="Only runs of this kind: run, replay, sweep, mitigate or strategy.")] = None,
    store: StoreOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List stored runs, newest first."""
    runs = open_store(store)
    rows = [r.to_dict() for r in runs.list(kind=kind)]
    columns = ["run_id", "kind", "created_at", "scenario", "dataset", "draws", "seed",
               "run_seconds", "spigot_version"]
    frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else columns)
    if fmt is Format.table:
        frame = frame[columns].copy()
        frame["created_at"] = [str(v)[:19].replace("T", " ") for v in frame["created_at"]]
        frame = frame.rename(columns={"created_at": "created (UTC)"})
    emit(frame, fmt, title=f"Runs in {runs.path}",
         document={"store": str(runs.path), "runs": rows})


@app.command("show")
def show(run_id: RunArgument, store: StoreOption = None, fmt: FormatOption = Format.table) -> None:
    """A run's manifest, scenario and stored variables."""
    runs = open_store(store)
    stored = runs.get(run_id, variables=[])
    layout = stored.layout
    variables = [{"variable": name, "dims": ", ".join(spec["dims"]),
                  "unit": str(spec["attrs"].get("units", "")),
                  "stored": "trajectories (Parquet)" if spec["where"] == "parquet"
                  else "summary (catalog)"}
                 for name, spec in layout["variables"].items()]
    document: dict[str, Any] = {"run": stored.info.to_dict(), "manifest": stored.manifest,
                                "sizes": layout["sizes"], "variables": variables,
                                "scenario_text": stored.scenario_text}
    if fmt is Format.json:
        emit(pd.DataFrame(variables), fmt, document=document)
        return
    if fmt is Format.csv:
        emit(pd.DataFrame(variables), fmt)
        return
    info = pd.DataFrame([{"field": k, "value": "" if v is None else str(v)}
                         for k, v in to_jsonable(stored.info.to_dict()).items()])
    emit(info, fmt, title=f"Run {stored.run_id}")
    emit(pd.DataFrame(variables), fmt, title="Variables")
    typer.echo("Scenario:\n" + stored.scenario_text.rstrip())


@app.command("delete")
def delete(run_id: RunArgument, store: StoreOption = None,
           yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
           = False) -> None:
    """Delete a stored run (its catalog rows and files)."""
    runs = open_store(store)
    resolved = runs.resolve(run_id)
    if not yes:
        if not sys.stdin.isatty():
            raise InputError(Problem("refusing to delete without confirmation", value=resolved,
                                     hint="pass --yes to delete from a script"))
        typer.confirm(f"Delete run {resolved} from {runs.path}?", abort=True)
    runs.delete(resolved)
    typer.echo(f"deleted {resolved}")


@app.command("export")
def export(run_id: RunArgument,
           folder: Annotated[Path, typer.Argument(help="Folder to write (new or empty).")],
           store: StoreOption = None,
           force: Annotated[bool, typer.Option("--force", help="Replace a non-empty folder.")]
           = False) -> None:
    """Write a run as plain files: manifest.json, scenario.yaml, summary.csv/.parquet,
    trajectories/*.parquet."""
    runs = open_store(store)
    target = runs.export(run_id, folder, overwrite=force)
    typer.echo(f"exported {runs.resolve(run_id)} to {target}")
