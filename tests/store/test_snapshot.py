"""The server's catalog snapshot: reads never hold the file, so writers in other processes (a
`spigot run` in another shell) save while the dashboard is open, and the dashboard sees their
runs at once; a busy file does not stop reads that a copy can answer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from spigot.store import RunStore
from spigot.store.catalog import CATALOG_FILE
from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest

REPO = Path(__file__).resolve().parents[2]
WRITER = """
import sys
sys.path.insert(0, {repo!r})
from spigot.store import RunStore
from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest
store = RunStore(sys.argv[1], timeout=5)
print(store.save(fake_dataset(seed=7), fake_manifest(seed=7), SCENARIO_TEXT))
"""


def _save_in_another_process(path: Path) -> str:
    proc = subprocess.run([sys.executable, "-c", WRITER.format(repo=str(REPO)), str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_another_process_saves_while_the_server_reads(tmp_path: Path) -> None:
    writer = RunStore(tmp_path)
    first = writer.save(fake_dataset(seed=1), fake_manifest(seed=1), SCENARIO_TEXT)
    server = RunStore(tmp_path, snapshot=True, timeout=5)
    assert [r.run_id for r in server.list()] == [first]
    assert server.snapshot is not None
    copies = server.snapshot.refreshes
    server.list()
    server.info(first)
    assert server.snapshot.refreshes == copies  # unchanged catalog: no new copy, no file open
    second = _save_in_another_process(tmp_path)  # would fail if the server held the file
    assert {r.run_id for r in server.list()} == {first, second}
    assert server.infos([second, first])[0].run_id == second
    assert server.get(second).manifest["seed"] == 7


def test_own_writes_are_seen_at_once(tmp_path: Path) -> None:
    server = RunStore(tmp_path, snapshot=True)
    assert server.list() == []
    run_id = server.save(fake_dataset(seed=2), fake_manifest(seed=2), SCENARIO_TEXT)
    assert [r.run_id for r in server.list()] == [run_id]
    server.delete(run_id)
    assert server.list() == []


def test_a_held_catalog_does_not_stop_reads_from_the_copy(tmp_path: Path) -> None:
    writer = RunStore(tmp_path)
    run_id = writer.save(fake_dataset(seed=3), fake_manifest(seed=3), SCENARIO_TEXT)
    server = RunStore(tmp_path, snapshot=True, timeout=0.5)
    assert server.info(run_id).run_id == run_id
    # another process would hold it read-write; in this process a second handle does the same
    with duckdb.connect(str(tmp_path / CATALOG_FILE)):
        assert server.info(run_id).run_id == run_id  # unchanged: answered from the copy


def test_unknown_ids_in_infos(tmp_path: Path) -> None:
    from spigot.store import UnknownRunError

    server = RunStore(tmp_path, snapshot=True)
    run_id = server.save(fake_dataset(seed=4), fake_manifest(seed=4), SCENARIO_TEXT)
    with pytest.raises(UnknownRunError):
        server.infos([run_id, "20990101-000000-abcdef"])
