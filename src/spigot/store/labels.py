"""Labels of stored runs: a short text a person gives a run ("Dy squeeze, 60 % approval").

Labels live in their own catalog table, ``run_labels (run_id, label, updated_at)``, created on the
first label. Catalogs written before labels existed have no such table and read as "no labels",
so the change is backward compatible in both directions (an older spigot ignores the table). A
label is not part of the run: it can change at any time, and deleting a run leaves a stale label
row that nothing reads (labels are only looked up for committed runs).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from spigot.errors import InputError, Problem
from spigot.store.catalog import connect, writer_lock

if TYPE_CHECKING:
    from spigot.store.run_store import RunStore

__all__ = ["MAX_LABEL", "get_labels", "set_label"]

#: Longest label, in characters.
MAX_LABEL = 120

_DDL = """
CREATE TABLE IF NOT EXISTS run_labels (
    run_id VARCHAR PRIMARY KEY,
    label VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL
)
"""


def _has_table(con: Any) -> bool:
    found = con.execute("SELECT count(*) FROM information_schema.tables "
                        "WHERE table_name = 'run_labels'").fetchone()
    return bool(found and found[0])


def clean_label(text: str) -> str:
    """``text`` with surrounding and repeated white space removed.

    Raises
    ------
    InputError
        If it is longer than :data:`MAX_LABEL` characters or has control characters.
    """
    label = " ".join(str(text).split())
    if len(label) > MAX_LABEL:
        raise InputError(Problem("label is too long", field="label", value=label[:40] + "…",
                                 expected=f"at most {MAX_LABEL} characters"))
    if any(ord(c) < 32 for c in label):
        raise InputError(Problem("label has control characters", field="label",
                                 expected="plain text"))
    return label


def set_label(store: RunStore, run_id: str, label: str) -> str:
    """Give run ``run_id`` a label (an empty label removes it); return the stored label.

    Raises
    ------
    UnknownRunError
        If there is no such run.
    InputError
        If the label is too long.
    """
    run_id = store.resolve(run_id)
    text = clean_label(label)
    with (writer_lock(store.path, timeout=store.timeout),
          connect(store.path, read_only=False, timeout=store.timeout) as con):
        assert con is not None
        con.execute(_DDL)
        con.execute("DELETE FROM run_labels WHERE run_id = ?", [run_id])
        if text:
            con.execute("INSERT INTO run_labels VALUES (?, ?, ?)",
                        [run_id, text, dt.datetime.now(dt.UTC).replace(tzinfo=None)])
    return text


def get_labels(store: RunStore) -> dict[str, str]:
    """Every run's label (run id -> label); runs without one are absent."""
    with connect(store.path, read_only=True, timeout=store.timeout) as con:
        if con is None or not _has_table(con):
            return {}
        rows = con.execute("SELECT run_id, label FROM run_labels").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}
