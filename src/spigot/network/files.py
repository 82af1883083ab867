"""Reading user files safely: local regular files only, never URLs, never devices, bounded size.

Every file spigot reads because a user named it (a dataset table, a market parameter table) goes
through :func:`read_text`:

- a URL (``http://``, ``s3://``, ``file://`` ...) is refused: spigot fetches nothing;
- the path must name a *regular* file: a FIFO, a character or block device (``/dev/zero``), a
  socket or a folder is refused before it is read (it is opened with ``O_NONBLOCK``, so opening
  a FIFO cannot block, and checked with ``fstat`` on the open descriptor);
- at most :data:`MAX_FILE_BYTES` bytes are read (``SPIGOT_MAX_FILE_MB`` raises the cap).
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Sequence
from typing import TYPE_CHECKING

from spigot.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAX_FILE_BYTES", "is_url", "max_file_bytes", "read_csv_table", "read_text"]

#: Largest user file spigot reads, in bytes (default; ``SPIGOT_MAX_FILE_MB`` overrides it).
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Environment variable with the cap in MiB.
MAX_FILE_ENV = "SPIGOT_MAX_FILE_MB"

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(text: str) -> bool:
    """Whether ``text`` looks like a URL (``scheme://...``) rather than a file path."""
    return bool(_URL.match(str(text).strip()))


def max_file_bytes() -> int:
    """The cap on the size of a user file, in bytes (``$SPIGOT_MAX_FILE_MB`` MiB if set)."""
    raw = os.environ.get(MAX_FILE_ENV, "").strip()
    try:
        return int(float(raw) * 1024 * 1024) if raw else MAX_FILE_BYTES
    except ValueError:
        return MAX_FILE_BYTES


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_text(path: str | os.PathLike[str], *, field: str | None = None,
              what: str = "a file", limit: int | None = None) -> str:
    """Read a user's local text file (UTF-8) within the size cap.

    Parameters
    ----------
    path
        The file, as the user gave it.
    field
        The field that named it (``market.parameters``), for the message.
    what
        What was expected there (``"a parameter table (CSV)"``), for the message.
    limit
        Size cap in bytes (default :func:`max_file_bytes`).

    Raises
    ------
    InputError
        If ``path`` is a URL, does not exist, is not a regular file, is larger than the cap, or
        is not UTF-8 text.
    """
    name = str(path)
    cap = max_file_bytes() if limit is None else limit
    if is_url(name):
        raise InputError(Problem("URLs are not read: spigot fetches nothing from the network",
                                 file=name, field=field, expected=f"{what} on this machine",
                                 hint="download the file and give its path"))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        before = os.stat(name)
        if not stat.S_ISREG(before.st_mode):  # refused before it is opened
            raise InputError(Problem(f"not a regular file: {_kind(before.st_mode)}", file=name,
                                     field=field, expected=what))
        fd = os.open(name, flags)
    except FileNotFoundError:
        raise InputError(Problem("file not found", file=name, field=field,
                                 expected=what)) from None
    except OSError as exc:
        raise InputError(Problem(f"cannot read the file: {exc.strerror or exc}", file=name,
                                 field=field, expected=what)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped between stat and open
            raise InputError(Problem(f"not a regular file: {_kind(info.st_mode)}", file=name,
                                     field=field, expected=what))
        if info.st_size > cap:
            raise InputError(Problem("file too large", file=name, field=field,
                                     value=f"{info.st_size:,} bytes",
                                     expected=f"at most {cap:,} bytes",
                                     hint=f"set {MAX_FILE_ENV} to raise the cap"))
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            data = fh.read(cap + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > cap:
        raise InputError(Problem("file too large", file=name, field=field,
                                 value=f"more than {cap:,} bytes",
                                 expected=f"at most {cap:,} bytes",
                                 hint=f"set {MAX_FILE_ENV} to raise the cap"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(Problem("file is not UTF-8 text", file=name, field=field,
                                 expected=what,
                                 hint=f"save it as UTF-8 ({exc.reason} at byte {exc.start})")
                         ) from None


def read_csv_table(path: str | os.PathLike[str], columns: Sequence[str], *,
                   field: str | None = None, what: str = "a CSV table") -> pd.DataFrame:
    """Read a user's CSV table (all cells as text) with :func:`read_text`'s safety rules and
    check that it has ``columns``.

    Raises
    ------
    InputError
        If the file cannot be read, is not CSV, or lacks one of ``columns`` (all are named).
    """
    text = read_text(path, field=field, what=what)
    import pandas as pd

    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(Problem(f"not a CSV table: {str(exc).splitlines()[0]}", file=str(path),
                                 field=field, expected=what)) from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(Problem("missing column(s) " + ", ".join(missing), file=str(path),
                                 field=field, expected=what + ": columns " + ", ".join(columns)))
    return table
