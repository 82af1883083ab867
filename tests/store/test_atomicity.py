"""A run killed mid-write leaves the store intact and the run absent; busy stores wait, then fail clearly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import xarray as xr

from spigot.store import RunStore, StoreBusyError
from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest

REPO = Path(__file__).resolve().parents[2]

# The writer raises KeyboardInterrupt on SIGINT as at a terminal, even when the test runner was
# started in the background (a shell starts background jobs with SIGINT ignored, and a Python
# started that way keeps ignoring it).
# SIGUSR1 makes it print every thread's stack (what the test reports if it ever hangs).
WRITER = """
import faulthandler, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
faulthandler.register(signal.SIGUSR1, all_threads=True)
sys.path.insert(0, {repo!r})
from spigot.store import RunStore
from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest
run_id = RunStore(sys.argv[1]).save(fake_dataset(draws=50, seed=9), fake_manifest(seed=99),
                                    SCENARIO_TEXT)
print(run_id)
"""

HOLDER = """
import sys, time, pathlib, duckdb
con = duckdb.connect(sys.argv[1])
held, release = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
held.write_text("held")
deadline = time.monotonic() + 60
while not release.exists() and time.monotonic() < deadline:
    time.sleep(0.02)
con.close()
"""


def _wait_for(path: Path, proc: subprocess.Popen[str], limit: float = 60.0) -> None:
    """Poll until ``path`` exists (bounded); fail with the child's output if it died first."""
    deadline = time.monotonic() + limit
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"child exited {proc.returncode} before {path.name}: {out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {path}")
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
@pytest.mark.parametrize("phase", ["staged", "renamed", "in_transaction"])
def test_run_killed_mid_write_is_absent_and_store_intact(tmp_path: Path, phase: str,
                                                         sig: signal.Signals) -> None:
    store = RunStore(tmp_path / "store")
    keep = store.save(fake_dataset(), fake_manifest(seed=1), SCENARIO_TEXT)
    marker = tmp_path / "paused"
    env = {**os.environ, "SPIGOT_STORE_TEST_PAUSE": f"{phase}:{marker}"}
    proc = subprocess.Popen([sys.executable, "-c", WRITER.format(repo=str(REPO)), str(store.path)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(marker, proc)
    proc.send_signal(sig)
    try:
        proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # report where it hangs, then stop it
        proc.send_signal(signal.SIGUSR1)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=5)
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"the writer still runs 60 s after {sig.name} at {phase}; its threads:\n{err}")
    assert proc.returncode != 0

    # the store opens, lists the earlier run only, and reads it back intact
    assert [r.run_id for r in store.list()] == [keep]
    xr.testing.assert_identical(store.get(keep).dataset, fake_dataset())
    # the killed run left nothing behind once the store has been listed
    assert [p.name for p in (store.path / "runs").iterdir()] == [keep]
    assert list((store.path / "tmp").iterdir()) == []
    # and the store still takes new runs
    again = store.save(fake_dataset(), fake_manifest(seed=2), SCENARIO_TEXT)
    assert {r.run_id for r in store.list()} == {keep, again}


def test_reader_waits_for_a_process_holding_the_catalog(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "store", timeout=30)
    keep = store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    held, release = tmp_path / "held", tmp_path / "release"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(store.path / "catalog.duckdb"),
                             str(held), str(release)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(held, proc)
        with pytest.raises(StoreBusyError, match="is busy"):
            RunStore(store.path, timeout=0.3).info(keep)
        result: list[object] = []
        reader = threading.Thread(target=lambda: result.append(store.list()))
        reader.start()
        release.write_text("go")
        reader.join(timeout=60)
        assert not reader.is_alive()
        assert [r.run_id for r in result[0]] == [keep]  # type: ignore[attr-defined]
    finally:
        release.write_text("go")
        proc.communicate(timeout=60)


def test_threads_reading_while_one_writes(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "store")
    first = store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(5):
                assert first in {r.run_id for r in store.list()}
                store.get(first, variables=["stop_probability"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def write() -> None:
        try:
            store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(3)]
    threads += [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(store.list()) == 3
