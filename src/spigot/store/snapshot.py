"""A read-only, in-memory snapshot of a store's catalog for long-lived readers (the dashboard).

Why a snapshot and not a long-lived connection: DuckDB lets one process open a database
read-write *or* any number of processes open it read-only, never both. A server that kept the
catalog open, even read-only, would lock out ``spigot run`` saving from another shell (and the
dashboard's own run processes) for as long as it runs. So the server opens the file only to copy
it, and answers every read from one in-memory DuckDB database per process, through a cursor per
call (cursors of one connection may be used from different threads).

The copy is refreshed when the catalog changes: before each read, the server compares a cheap
signature (size, modification time and inode of ``catalog.duckdb`` and its ``.wal``, and the
modification time of ``runs/``, which every save and delete changes) with the one the copy was
made from. Writes of this process call :meth:`CatalogSnapshot.invalidate`. Opening the file for
a refresh waits at most ``timeout`` seconds for another process that holds it; if a copy exists
meanwhile, readers are answered from it rather than kept waiting.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from spigot.store.catalog import CATALOG_FILE, StoreBusyError, connect

__all__ = ["CatalogSnapshot"]

logger = logging.getLogger(__name__)

_TABLES = ("runs", "summary", "meta")
T = TypeVar("T")

Signature = tuple[tuple[int, int, int] | None, ...]


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino)


class CatalogSnapshot:
    """An in-memory copy of the catalog of the store in ``folder``, refreshed on change.

    Parameters
    ----------
    folder
        The store folder.
    timeout
        Seconds to wait for another process that holds the catalog file.
    """

    def __init__(self, folder: Path, timeout: float = 10.0) -> None:
        self.folder = Path(folder)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._signature: Signature | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._empty = True
        self._memo: dict[Hashable, Any] = {}
        self.refreshes = 0

    def signature(self) -> Signature:
        """What identifies the catalog's current content (cheap: three ``stat`` calls)."""
        path = self.folder / CATALOG_FILE
        return (_stat(path), _stat(path.with_name(CATALOG_FILE + ".wal")),
                _stat(self.folder / "runs"))

    def invalidate(self) -> None:
        """Forget the copy's signature: the next read copies the catalog again."""
        with self._lock:
            self._signature = None
            self._memo = {}

    def cached(self, key: Hashable, compute: Callable[[duckdb.DuckDBPyConnection | None], T]) -> T:
        """``compute(cursor)``, remembered until the catalog changes (for small, hot queries:
        the run ids, the run list)."""
        con = self._current()
        memo = self._memo
        if key in memo:
            return memo[key]
        if con is None:
            value = compute(None)
        else:
            cur = con.cursor()
            try:
                value = compute(cur)
            finally:
                cur.close()
        if memo is self._memo:  # not refreshed meanwhile
            memo[key] = value
        return value

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A cursor on the current copy (``None`` for a store without a catalog yet).

        Raises
        ------
        StoreBusyError
            If the copy must be made and another process holds the file past the timeout.
        """
        con = self._current()
        if con is None:
            yield None
            return
        cur = con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def _current(self) -> duckdb.DuckDBPyConnection | None:
        wanted = self.signature()
        if wanted == self._signature:
            return None if self._empty else self._con
        if not self._lock.acquire(timeout=self.timeout):
            if self._con is not None or self._signature is not None:
                return None if self._empty else self._con  # a refresh is under way: serve the copy
            raise StoreBusyError(f"run store {self.folder} is busy: its catalog could not be read "
                                 f"within {self.timeout:.0f} s; try again")
        try:
            wanted = self.signature()
            if wanted != self._signature:
                self._refresh(wanted)
            return None if self._empty else self._con
        finally:
            self._lock.release()

    def _refresh(self, signature: Signature) -> None:
        fresh = duckdb.connect(":memory:")
        empty = True
        with connect(self.folder, read_only=True, timeout=self.timeout) as src:
            if src is not None:
                present = {str(r[0]) for r in src.execute(
                    "SELECT table_name FROM information_schema.tables").fetchall()}
                for table in _TABLES:
                    if table in present:
                        fresh.register("incoming", src.sql(f"SELECT * FROM {table}").to_arrow_table())
                        fresh.execute(f"CREATE TABLE {table} AS SELECT * FROM incoming")
                        fresh.unregister("incoming")
                empty = "runs" not in present
        self._con, self._empty, self._memo = fresh, empty, {}
        self._signature = signature
        self.refreshes += 1
        logger.debug("catalog snapshot of %s refreshed (%d)", self.folder, self.refreshes)
