"""A sweep is one entry of the run store: its points are queryable with DuckDB and written to
Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from spigot.store import RunStore
from tests.clikit import cli

TOY = str(Path(__file__).parent / "toy_licence.yaml")


def test_sweep_entry_points_in_duckdb_and_parquet(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    store, parquet = tmp_path / "store", tmp_path / "points.parquet"
    code, out, err = cli(capsys, "sweep", TOY, "--param", "policies[0].approval.default=0.3:0.9",
                         "--design", "grid", "--points", "3", "--draws", "8", "--weeks", "4",
                         "--workers", "1", "--store", str(store), "--parquet", str(parquet),
                         "--format", "json", "--quiet")
    assert code == 0, err
    doc = json.loads(out)
    assert [p["parameters"]["policies[0].approval.default"] for p in doc["points"]] == \
        pytest.approx([0.3, 0.6, 0.9], abs=1e-12)
    runs = RunStore(store)
    (info,) = runs.list(kind="sweep")
    assert doc["manifest"]["run_id"] == info.run_id
    assert info.draws == 8
    with duckdb.connect(str(store / "catalog.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT point, value FROM summary WHERE run_id = ? AND variable = 'output_value' "
            "AND output = 'lost_output_usd_mean' ORDER BY CAST(point AS INTEGER)",
            [info.run_id]).fetchall()
    assert [float(v) for _, v in rows] == [p["outputs"]["lost_output_usd_mean"]
                                          for p in doc["points"]]
    frame = pd.read_parquet(parquet)
    assert list(frame["point"]) == [0, 1, 2]
    assert list(frame["lost_output_usd_p95"]) == [p["outputs"]["lost_output_usd_p95"]
                                                  for p in doc["points"]]
    code, _, err = cli(capsys, "runs", "export", info.run_id, str(tmp_path / "export"),
                       "--store", str(store))
    assert code == 0, err
    exported = pd.read_parquet(tmp_path / "export" / "summary.parquet")
    assert set(exported["variable"]) >= {"parameter_value", "output_value"}
