"""The run store: every run and replay kept, with a DuckDB catalog and Parquet trajectories.

>>> from spigot.store import RunStore
>>> store = RunStore()                       # $SPIGOT_STORE or ~/.spigot/runs  # doctest: +SKIP
>>> run_id = store.save(dataset, manifest, scenario_text)                    # doctest: +SKIP
>>> [r.run_id for r in store.list()]                                         # doctest: +SKIP

See docs/store.md for the layout, atomicity and concurrency rules.
"""

from spigot.store.catalog import StoreBusyError, StoreError
from spigot.store.run_store import (
    KINDS,
    RUN_ID_PATTERN,
    RunInfo,
    RunStore,
    StoredRun,
    UnknownRunError,
    default_store_path,
    is_run_id,
)

__all__ = [
    "KINDS",
    "RUN_ID_PATTERN",
    "RunInfo",
    "RunStore",
    "StoreBusyError",
    "StoreError",
    "StoredRun",
    "UnknownRunError",
    "default_store_path",
    "is_run_id",
]
