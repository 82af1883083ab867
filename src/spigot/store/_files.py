"""File helpers of the run store: Parquet trajectories, fsync, and the kill-test hook."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import xarray as xr

from spigot.store.codec import tidy_frame

__all__ = ["PAUSE_ENV", "fsync_dir", "fsync_tree", "pause_point", "write_parquet"]

#: Test hook: ``phase:marker-file``. At that phase of a save the writer creates the marker file
#: and waits (so a test can kill it mid-write). Phases: staged, renamed, in_transaction.
PAUSE_ENV = "SPIGOT_STORE_TEST_PAUSE"


def write_parquet(dataset: xr.Dataset, name: str, path: Path) -> dict[str, Any]:
    """Write variable ``name`` in tidy form to ``path``; return its file entry."""
    frame = tidy_frame(dataset, name, as_labels=False, with_names=False)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({
        b"spigot.variable": name.encode(),
        b"spigot.unit": str(dataset[name].attrs.get("units", "")).encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    return {"path": str(path.relative_to(path.parent.parent)), "rows": table.num_rows,
            "bytes": path.stat().st_size}


def fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder`` to disk."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(root))


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (new or renamed files) to disk."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def pause_point(phase: str) -> None:
    """Test hook (see :data:`PAUSE_ENV`): announce ``phase`` and wait to be killed."""
    spec = os.environ.get(PAUSE_ENV, "")
    if not spec or not spec.startswith(phase + ":"):
        return
    marker = Path(spec.split(":", 1)[1])
    marker.write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + 120.0
    while time.monotonic() < deadline and marker.exists():
        time.sleep(0.05)
