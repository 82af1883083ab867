"""The DuckDB catalog of a run store: schema, connections, and the writer lock.

Concurrency rules (see docs/store.md):

- One writer at a time. A writer holds an exclusive ``flock`` on ``<store>/.writer.lock`` for the
  whole save or delete; a second writer waits for it (up to ``timeout`` seconds).
- DuckDB lets one process open a database read-write, or any number of processes open it
  read-only, but not both at once. The catalog is therefore opened only for the moment it is
  needed and closed again; a reader or writer that finds the file locked by another process
  retries with a short back-off until ``timeout`` and then raises :class:`StoreBusyError`.
- Inside one process, every connection to one store goes through one re-entrant thread lock, so
  the threads of the web server never open the file with two configurations at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from spigot.errors import SpigotError

try:  # pragma: no cover - platform branch
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; one writer is assumed
    fcntl = None  # type: ignore[assignment]

__all__ = ["CATALOG_FILE", "SCHEMA_VERSION", "StoreBusyError", "StoreError", "connect",
           "ensure_schema", "writer_lock"]

logger = logging.getLogger(__name__)

#: File name of the catalog inside the store folder.
CATALOG_FILE = "catalog.duckdb"
#: Version of the catalog's tables.
SCHEMA_VERSION = "1"
#: Name of the writer lock file inside the store folder.
LOCK_FILE = ".writer.lock"

_RUNS_DDL = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    scenario VARCHAR,
    spigot_version VARCHAR,
    dataset VARCHAR,
    dataset_hash VARCHAR,
    scenario_hash VARCHAR,
    seed BIGINT,
    draws BIGINT,
    run_seconds DOUBLE,
    save_seconds DOUBLE,
    manifest VARCHAR NOT NULL,
    scenario_text VARCHAR NOT NULL,
    layout VARCHAR NOT NULL,
    files VARCHAR NOT NULL
)
"""
_SUMMARY_DDL = """
CREATE TABLE IF NOT EXISTS summary (
    run_id VARCHAR NOT NULL,
    variable VARCHAR NOT NULL,
    unit VARCHAR,
    value DOUBLE
)
"""
_META_DDL = "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)"

_thread_locks: dict[str, threading.RLock] = {}
_thread_locks_guard = threading.Lock()


class StoreError(SpigotError):
    """The run store is damaged or cannot be used (exit code 1)."""


class StoreBusyError(StoreError):
    """Another process holds the run store for longer than we are willing to wait."""


def _thread_lock(folder: Path) -> threading.RLock:
    key = str(folder.resolve())
    with _thread_locks_guard:
        return _thread_locks.setdefault(key, threading.RLock())


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflict" in text or "could not set" in text)


@contextlib.contextmanager
def connect(folder: Path, *, read_only: bool, timeout: float = 30.0
            ) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """Open the catalog of the store in ``folder`` for the duration of a ``with`` block.

    Yields ``None`` for a read-only open of a store that has no catalog yet (an empty store).

    Raises
    ------
    StoreBusyError
        If another process keeps the catalog locked for more than ``timeout`` seconds.
    """
    path = folder / CATALOG_FILE
    with _thread_lock(folder):
        if read_only and not path.exists():
            yield None
            return
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(path), read_only=read_only)
                break
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                if not _is_lock_conflict(exc) or time.monotonic() > deadline:
                    if _is_lock_conflict(exc):
                        raise StoreBusyError(
                            f"run store {folder} is busy: another process has held its catalog "
                            f"for more than {timeout:.0f} s; try again when it has finished"
                        ) from exc
                    raise StoreError(f"cannot open the run store catalog {path}: {exc}") from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        try:
            yield con
        finally:
            con.close()


@contextlib.contextmanager
def writer_lock(folder: Path, *, timeout: float = 30.0, blocking: bool = True) -> Iterator[bool]:
    """Hold the store's exclusive writer lock; yields whether it was acquired.

    With ``blocking=False`` it yields ``False`` at once when another writer holds the lock.

    Raises
    ------
    StoreBusyError
        If ``blocking`` and another writer holds the lock for more than ``timeout`` seconds.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover - Windows
        yield True
        return
    # Each call opens its own file description, so the lock also excludes other threads.
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                acquired = True
                break
            except BlockingIOError:
                if not blocking:
                    acquired = False
                    break
                if time.monotonic() > deadline:
                    raise StoreBusyError(
                        f"run store {folder} is busy: another spigot process is writing to it "
                        f"(waited {timeout:.0f} s); one writer at a time") from None
                time.sleep(0.05)
        try:
            yield acquired
        finally:
            if acquired:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the catalog's tables if they are missing (idempotent)."""
    con.execute(_RUNS_DDL)
    con.execute(_SUMMARY_DDL)
    con.execute(_META_DDL)
    found = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if found is None:
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    elif found[0] != SCHEMA_VERSION:
        raise StoreError(f"run store catalog has schema version {found[0]}; this spigot reads "
                         f"version {SCHEMA_VERSION}. Use a new --store folder or the matching "
                         "spigot version.")


def summary_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the columns of the ``summary`` table."""
    rows = con.execute("SELECT column_name FROM information_schema.columns "
                       "WHERE table_name = 'summary' ORDER BY ordinal_position").fetchall()
    return [str(r[0]) for r in rows]


def quote(identifier: str) -> str:
    """Quote a SQL identifier (names are checked by the codec; quotes are doubled anyway)."""
    return '"' + identifier.replace('"', '""') + '"'
