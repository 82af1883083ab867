"""`RunStore`: keep every run (and replay) with its manifest, summaries and sampled trajectories.

Layout of a store folder (default ``$SPIGOT_STORE`` or ``~/.spigot/runs``)::

    catalog.duckdb              runs (one row per run: manifest, scenario text, layout)
                                summary (tidy rows of every variable without a draw dimension)
    runs/<run_id>/trajectories/<variable>.parquet   variables with a draw dimension
    tmp/                        staging folders of saves in progress
    .writer.lock                held by the one writer at a time

A save writes its files into ``tmp/``, flushes them to disk, renames the folder into ``runs/``, and
then inserts the catalog rows in one DuckDB transaction: the commit is the moment the run exists.
A save interrupted at any point leaves no catalog row; the folder it may leave behind is an orphan
that the next save, delete or listing removes. Readers see committed runs only.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xarray as xr

from spigot.errors import InputError, Problem, UnknownNameError, did_you_mean
from spigot.store import catalog
from spigot.store._files import fsync_dir, fsync_tree, pause_point, write_parquet
from spigot.store._rows import manifest_columns as _manifest_columns
from spigot.store.catalog import StoreError, connect, ensure_schema, quote, writer_lock
from spigot.store.codec import (
    column_name,
    decode_coords,
    decode_variable,
    encode_layout,
    jsonable,
    layout_json,
    summary_table,
)
from spigot.store.snapshot import CatalogSnapshot

if TYPE_CHECKING:
    from spigot.results import Results

__all__ = ["KINDS", "RUN_ID_PATTERN", "RunInfo", "RunStore", "StoredRun", "UnknownRunError",
           "default_store_path", "is_run_id"]

logger = logging.getLogger(__name__)

#: Kinds of stored runs.
KINDS: tuple[str, ...] = ("run", "replay", "sweep", "mitigate", "strategy")
#: Run ids: UTC date and time of the save, then six hex digits (``20261123-164500-a1b2c3``).
RUN_ID_PATTERN = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
#: Environment variable that overrides the default store location.
STORE_ENV = "SPIGOT_STORE"

Progress = Callable[[str, int, int], None]

_INFO_COLUMNS = ("run_id", "kind", "created_at", "scenario", "spigot_version", "dataset",
                 "dataset_hash", "scenario_hash", "seed", "draws", "run_seconds", "save_seconds")


def default_store_path() -> Path:
    """The store folder used when none is given: ``$SPIGOT_STORE``, else ``~/.spigot/runs``."""
    env = os.environ.get(STORE_ENV, "").strip()
    return Path(env).expanduser() if env else Path.home() / ".spigot" / "runs"


def is_run_id(text: str) -> bool:
    """Whether ``text`` has the form of a run id (it may still not exist)."""
    return bool(RUN_ID_PATTERN.match(text))


class UnknownRunError(UnknownNameError):
    """No committed run has this id (exit code 2; HTTP 404)."""

    def __init__(self, ref: object, choices: Iterable[str]):
        pool = sorted(choices)
        InputError.__init__(self, Problem(
            "unknown run", field="run_id", value=ref,
            expected="the id of a stored run (YYYYMMDD-HHMMSS-xxxxxx), a unique prefix of one, "
                     "or 'latest'",
            hint=did_you_mean(ref, pool) or "'spigot runs list' shows the stored runs"))


@dataclass(frozen=True)
class RunInfo:
    """One row of the catalog: what a run is, without its data."""

    run_id: str
    kind: str
    created_at: dt.datetime
    scenario: str | None
    spigot_version: str | None
    dataset: str | None
    dataset_hash: str | None
    scenario_hash: str | None
    seed: int | None
    draws: int | None
    run_seconds: float | None
    save_seconds: float | None

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON values (``created_at`` in ISO 8601, UTC)."""
        out = {name: getattr(self, name) for name in _INFO_COLUMNS}
        out["created_at"] = self.created_at.replace(tzinfo=dt.UTC).isoformat()
        return out


@dataclass(frozen=True)
class StoredRun:
    """A run read back from the store."""

    info: RunInfo
    manifest: dict[str, Any]
    scenario_text: str
    dataset: xr.Dataset
    layout: dict[str, Any] = field(repr=False)

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.info.run_id


class RunStore:
    """A folder of stored runs with a DuckDB catalog.

    Parameters
    ----------
    path
        The store folder; ``None`` for :func:`default_store_path`. It is created on the first
        save; reading a folder that does not exist yet gives an empty store.
    timeout
        Seconds to wait for another process that holds the store before raising
        :class:`~spigot.store.catalog.StoreBusyError`.
    snapshot
        Answer reads from an in-memory copy of the catalog, refreshed when the file changes
        (:mod:`spigot.store.snapshot`), instead of opening the file for each read.

    Examples
    --------
    >>> store = RunStore(tmp_path)                                        # doctest: +SKIP
    >>> run_id = store.save(dataset, manifest, scenario_text)             # doctest: +SKIP
    >>> store.get(run_id).dataset                                         # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, timeout: float = 30.0,
                 snapshot: bool = False):
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        self.timeout = timeout
        #: Reads from an in-memory copy of the catalog (long-lived readers: the dashboard).
        self.snapshot = CatalogSnapshot(self.path, timeout) if snapshot else None

    @contextlib.contextmanager
    def _reader(self, fresh: bool = False) -> Iterator[Any]:
        """A read-only view of the catalog: the snapshot's cursor, or the file opened briefly;
        ``None`` while the store has no runs table."""
        if self.snapshot is not None and not fresh:
            with self.snapshot.cursor() as cur:
                yield cur
        else:
            with connect(self.path, read_only=True, timeout=self.timeout) as con:
                yield con if con is not None and _has_runs_table(con) else None

    def _written(self) -> None:
        if self.snapshot is not None:
            self.snapshot.invalidate()

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    # ----------------------------------------------------------------- write
    def save(self, dataset: xr.Dataset, manifest: Mapping[str, Any], scenario_text: str,
             kind: str = "run", *, progress: Progress | None = None) -> str:
        """Store a run atomically and return its new id.

        Parameters
        ----------
        dataset
            The results: variables with a ``draw`` dimension are stored as Parquet trajectories,
            the others as summary rows in the catalog.
        manifest
            Provenance (spigot version, dataset name and hash, scenario name and hash, seed,
            draws, timings); stored as given, with the known keys also in catalog columns.
        scenario_text
            The scenario as the user wrote it (YAML).
        kind
            ``"run"``, ``"replay"``, ``"sweep"`` (a sweep's points: no draw dimension, so all
            summary rows; see docs/sweeps.md) or ``"mitigate"`` (a frontier: spigot mitigate).
        progress
            Called as ``progress(step, done, total)`` while saving.

        Raises
        ------
        InputError
            If ``kind`` is unknown or the Dataset has names or dtypes that cannot be stored.
        StoreBusyError
            If another writer holds the store for longer than the timeout.
        """
        if kind not in KINDS:
            raise UnknownNameError("run kind", kind, KINDS, field="kind")
        started = time.perf_counter()
        layout = encode_layout(dataset)
        manifest_text = json.dumps(jsonable(dict(manifest)), ensure_ascii=False, allow_nan=False)
        columns = _manifest_columns(manifest, scenario_text)
        sampled = [n for n, v in layout["variables"].items() if v["where"] == "parquet"]
        summaries = [n for n, v in layout["variables"].items() if v["where"] == "summary"]
        total = len(sampled) + 2
        self.path.mkdir(parents=True, exist_ok=True)
        with writer_lock(self.path, timeout=self.timeout):
            self._cleanup_locked()
            run_id = self._new_id()
            (self.path / "tmp").mkdir(exist_ok=True)
            (self.path / "runs").mkdir(exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f"{run_id}.", dir=self.path / "tmp"))
            final = self.path / "runs" / run_id
            committed = False
            try:
                files = []
                for done, name in enumerate(sampled):
                    if progress:
                        progress(f"writing {name}", done, total)
                    files.append(write_parquet(dataset, name, staging / layout["variables"][name]["file"]))
                fsync_tree(staging)
                pause_point("staged")
                staging.rename(final)
                fsync_dir(final.parent)
                pause_point("renamed")
                if progress:
                    progress("writing catalog", len(sampled), total)
                frame = summary_table(dataset, summaries, run_id)
                row = {**columns, "run_id": run_id, "kind": kind,
                       "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                       "manifest": manifest_text, "scenario_text": scenario_text,
                       "layout": layout_json(layout), "files": json.dumps(files)}
                self._commit(row, frame, started)
                committed = True
                self._written()
            finally:
                if not committed:
                    shutil.rmtree(staging, ignore_errors=True)
                    shutil.rmtree(final, ignore_errors=True)
        if progress:
            progress("saved", total, total)
        logger.info("saved run %s to %s in %.2f s", run_id, self.path, time.perf_counter() - started)
        return run_id

    def save_results(self, results: Any, scenario_text: str, kind: str = "run", *,
                     progress: Progress | None = None) -> str:
        """Store a :class:`~spigot.results.Results` (its ``data`` and ``manifest``); see :meth:`save`.

        Parameters
        ----------
        results
            What :func:`spigot.simulate` (or a replay) returned.
        scenario_text
            The scenario's YAML text (the file as written, or ``scenario.to_yaml()``).
        """
        return self.save(results.data, results.manifest, scenario_text, kind, progress=progress)

    def _commit(self, row: dict[str, Any], frame: pa.Table, started: float) -> None:
        with connect(self.path, read_only=False, timeout=self.timeout) as con:
            assert con is not None
            ensure_schema(con)
            con.execute("BEGIN TRANSACTION")
            try:
                present = set(catalog.summary_columns(con))
                for column in frame.column_names:
                    if column not in present:
                        con.execute(f"ALTER TABLE summary ADD COLUMN {quote(column)} VARCHAR")
                if frame.num_rows:
                    con.register("incoming_summary", frame)
                    con.execute("INSERT INTO summary BY NAME SELECT * FROM incoming_summary")
                    con.unregister("incoming_summary")
                row["save_seconds"] = time.perf_counter() - started
                names = list(row)
                con.execute(f"INSERT INTO runs ({', '.join(names)}) VALUES "
                            f"({', '.join('?' for _ in names)})", [row[n] for n in names])
                pause_point("in_transaction")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            try:
                con.execute("CHECKPOINT")
            except Exception as exc:  # pragma: no cover - a checkpoint is an optimisation
                logger.debug("checkpoint after save failed: %s", exc)

    def _new_id(self) -> str:
        while True:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
            run_id = f"{stamp}-{secrets.token_hex(3)}"
            if not (self.path / "runs" / run_id).exists():
                return run_id

    def delete(self, run_id: str) -> None:
        """Remove a run: its catalog rows (the commit point), then its files.

        Raises
        ------
        UnknownRunError
            If there is no such run.
        """
        run_id = self.resolve(run_id)
        with writer_lock(self.path, timeout=self.timeout):
            with connect(self.path, read_only=False, timeout=self.timeout) as con:
                assert con is not None
                con.execute("BEGIN TRANSACTION")
                try:
                    con.execute("DELETE FROM summary WHERE run_id = ?", [run_id])
                    con.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            shutil.rmtree(self.path / "runs" / run_id, ignore_errors=True)
            self._written()

    def cleanup(self) -> list[str]:
        """Remove staging folders and run folders that no committed run owns.

        Does nothing (and returns ``[]``) while another process is writing.

        Returns
        -------
        list of str
            The removed folders, relative to the store.
        """
        if not self.path.is_dir():
            return []
        try:
            with writer_lock(self.path, blocking=False) as acquired:
                return self._cleanup_locked() if acquired else []
        except OSError as exc:  # a read-only store: nothing to clean, still readable
            logger.debug("run store %s: no cleanup (%s)", self.path, exc)
            return []

    def _cleanup_locked(self) -> list[str]:
        removed: list[str] = []
        tmp = self.path / "tmp"
        if tmp.is_dir():
            for entry in tmp.iterdir():
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink()
                removed.append(f"tmp/{entry.name}")
        runs = self.path / "runs"
        if runs.is_dir():
            listed = set(self._ids())
            suspects = [e for e in runs.iterdir() if e.name not in listed]
            # confirmed from the file itself: never delete by a stale snapshot
            known = set(self._ids(fresh=True)) if suspects else set()
            for entry in suspects:
                if entry.name not in known:
                    shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink()
                    removed.append(f"runs/{entry.name}")
        if removed:
            logger.info("run store %s: removed %d orphaned folder(s) of interrupted writes",
                        self.path, len(removed))
        return removed

    # ----------------------------------------------------------------- read
    def _ids(self, fresh: bool = False) -> list[str]:
        def query(con: Any) -> list[str]:
            if con is None:
                return []
            return [str(r[0]) for r in con.execute("SELECT run_id FROM runs").fetchall()]

        if self.snapshot is not None and not fresh:
            return list(self.snapshot.cached("ids", query))
        with self._reader(fresh) as con:
            return query(con)

    def list(self, kind: str | None = None) -> list[RunInfo]:
        """Committed runs, newest first (removes orphans of interrupted writes on the way)."""
        self.cleanup()

        def query(con: Any) -> list[RunInfo]:
            if con is None:
                return []
            sql = f"SELECT {', '.join(_INFO_COLUMNS)} FROM runs"
            params: list[Any] = []
            if kind is not None:
                sql += " WHERE kind = ?"
                params.append(kind)
            rows = con.execute(sql + " ORDER BY created_at DESC, run_id DESC", params).fetchall()
            return [_info(r) for r in rows]

        if self.snapshot is not None:
            return list(self.snapshot.cached(("list", kind), query))
        with self._reader() as con:
            return query(con)

    def resolve(self, ref: str) -> str:
        """The id of the run ``ref`` names: a full id, a unique prefix of one, or ``latest``.

        Raises
        ------
        UnknownRunError
            If no run, or more than one, matches.
        """
        text = str(ref).strip()
        if not re.fullmatch(r"[0-9a-f-]{1,22}|latest", text):
            raise UnknownRunError(ref, [])
        ids = sorted(self._ids())
        if text == "latest":
            if not ids:
                raise InputError(Problem("the run store is empty", file=str(self.path),
                                         hint="run a scenario first with 'spigot run'"))
            return self.list()[0].run_id
        if text in ids:
            return text
        matches = [i for i in ids if i.startswith(text)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InputError(Problem("run id prefix is ambiguous", field="run_id", value=text,
                                     expected="a longer prefix",
                                     hint="matches " + ", ".join(matches[:5])))
        raise UnknownRunError(text, ids[-15:])

    def info(self, run_id: str) -> RunInfo:
        """The catalog row of a run."""
        return self._row(self.resolve(run_id))[0]

    def infos(self, run_ids: Sequence[str]) -> builtins.list[RunInfo]:
        """The catalog rows of several runs (full ids), in one query, in the order given.

        Raises
        ------
        UnknownRunError
            If one of them is not a stored run.
        """
        with self._reader() as con:
            rows = [] if con is None else con.execute(
                f"SELECT {', '.join(_INFO_COLUMNS)} FROM runs WHERE run_id IN "
                f"({', '.join('?' for _ in run_ids)})", list(run_ids)).fetchall()
        found = {str(r[0]): _info(r) for r in rows}
        for run_id in run_ids:
            if run_id not in found:
                raise UnknownRunError(run_id, sorted(found))
        return [found[r] for r in run_ids]

    def _row(self, run_id: str) -> tuple[RunInfo, dict[str, Any], str, dict[str, Any]]:
        with self._reader() as con:
            found = None if con is None else con.execute(
                f"SELECT {', '.join(_INFO_COLUMNS)}, manifest, scenario_text, layout "
                "FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if found is None:
            raise UnknownRunError(run_id, self._ids()[-15:])
        n = len(_INFO_COLUMNS)
        return (_info(found[:n]), json.loads(found[n]), str(found[n + 1]),
                json.loads(found[n + 2]))

    def get(self, run_id: str, variables: Sequence[str] | None = None) -> StoredRun:
        """Read a run back: its Dataset, manifest and scenario text.

        Parameters
        ----------
        run_id
            Run id, unique prefix, or ``latest``.
        variables
            Read only these data variables (all when ``None``); unknown names are ignored.

        Raises
        ------
        UnknownRunError
            If there is no such run.
        StoreError
            If a file of the run is missing or damaged.
        """
        run_id = self.resolve(run_id)
        info, manifest, scenario_text, layout = self._row(run_id)
        wanted = list(layout["variables"]) if variables is None else [
            v for v in variables if v in layout["variables"]]
        summaries = [v for v in wanted if layout["variables"][v]["where"] == "summary"]
        frames = self._summary_rows(run_id, summaries) if summaries else {}
        coords = decode_coords(layout)
        data: dict[str, xr.Variable] = {}
        for name in wanted:
            spec = layout["variables"][name]
            if spec["where"] == "summary":
                frame = frames.get(name, pd.DataFrame({"value": []}))
            else:
                path = self.path / "runs" / run_id / spec["file"]
                try:
                    frame = pq.read_table(path).to_pandas()
                except (OSError, pa.ArrowException) as exc:
                    raise StoreError(f"run {run_id}: cannot read {path}: {exc}") from exc
            data[name] = decode_variable(layout, coords, name, frame)
        dataset = xr.Dataset(data, coords=coords, attrs=layout.get("attrs") or {})
        return StoredRun(info, manifest, scenario_text, dataset, layout)

    def load(self, run_id: str) -> Results:
        """A stored run as :class:`~spigot.results.Results`, the one home of run summaries:
        ``store.load("latest").metrics.lost_output()`` gives what ``spigot run`` printed.
        Raises what :meth:`get` raises (an unknown run, a missing or damaged file).
        """
        from spigot.results import Results

        stored = self.get(run_id)
        return Results(stored.dataset, stored.manifest)

    def _summary_rows(self, run_id: str, names: Sequence[str]) -> dict[str, pd.DataFrame]:
        with self._reader() as con:
            assert con is not None
            frame = con.execute(
                f"SELECT * FROM summary WHERE run_id = ? AND variable IN "
                f"({', '.join('?' for _ in names)})", [run_id, *names]).df()
        return {str(name): group for name, group in frame.groupby("variable", sort=False)}

    def summary(self, run_id: str) -> pd.DataFrame:
        """A run's summary rows in tidy form (``variable``, ``unit``, one column per dimension, ``value``)."""
        run_id = self.resolve(run_id)
        layout = self._row(run_id)[3]
        dims = sorted({column_name(d) for v in layout["variables"].values()
                       if v["where"] == "summary" for d in v["dims"]})
        with self._reader() as con:
            assert con is not None
            select = ", ".join(["variable", "unit", *(quote(d) for d in dims), "value"])
            frame = con.execute(f"SELECT {select} FROM summary WHERE run_id = ? "
                                "ORDER BY variable", [run_id]).df()
        return frame

    def export(self, run_id: str, folder: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write a run as plain files: manifest.json, scenario.yaml, summary.csv/.parquet,
        layout.json, and trajectories/*.parquet.

        The folder is written into a temporary sibling and renamed into place.

        Raises
        ------
        UnknownRunError
            If there is no such run.
        InputError
            If ``folder`` exists and is not empty, unless ``overwrite``.
        """
        run_id = self.resolve(run_id)
        info, manifest, scenario_text, layout = self._row(run_id)
        target = Path(folder).expanduser()
        if target.exists() and (not target.is_dir() or any(target.iterdir())) and not overwrite:
            raise InputError(Problem("folder is not empty", file=str(target),
                                     expected="a new or empty folder",
                                     hint="choose another folder or pass --force"))
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            document = {"run": info.to_dict(), "manifest": manifest}
            (staging / "manifest.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
            (staging / "scenario.yaml").write_text(scenario_text, encoding="utf-8")
            (staging / "layout.json").write_text(json.dumps(layout, indent=1), encoding="utf-8")
            summary = self.summary(run_id)
            summary.to_csv(staging / "summary.csv", index=False, float_format="%.10g")
            summary.to_parquet(staging / "summary.parquet", index=False)
            source = self.path / "runs" / run_id / "trajectories"
            if source.is_dir():
                shutil.copytree(source, staging / "trajectories")
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target


# --------------------------------------------------------------------- helpers
def _has_runs_table(con: Any) -> bool:
    found = con.execute("SELECT count(*) FROM information_schema.tables "
                        "WHERE table_name = 'runs'").fetchone()
    return bool(found and found[0])


def _info(row: Sequence[Any]) -> RunInfo:
    values = dict(zip(_INFO_COLUMNS, row, strict=True))
    return RunInfo(**values)
