"""RunStore: round trips, listing, ids, delete, export, and refusal of what cannot be stored."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from spigot.errors import InputError
from spigot.store import RunStore, UnknownRunError, default_store_path, is_run_id
from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "store")


def test_round_trip_is_identical(store: RunStore) -> None:
    dataset = fake_dataset()
    run_id = store.save(dataset, fake_manifest(), SCENARIO_TEXT)
    stored = store.get(run_id)
    xr.testing.assert_identical(stored.dataset, dataset)
    assert stored.manifest == fake_manifest()
    assert stored.scenario_text == SCENARIO_TEXT
    assert stored.info.kind == "run"


def test_trajectories_are_parquet_and_summaries_are_in_the_catalog(store: RunStore) -> None:
    run_id = store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    files = sorted(p.name for p in (store.path / "runs" / run_id / "trajectories").iterdir())
    assert files == ["exports.parquet", "first_stoppage.parquet", "licence_queue.parquet",
                     "lost_output_value.parquet", "price.parquet"]
    frame = pd.read_parquet(store.path / "runs" / run_id / "trajectories" / "price.parquet")
    assert list(frame.columns) == ["draw", "time", "zone", "commodity", "value"]
    assert pd.api.types.is_datetime64_any_dtype(frame["time"])
    summary = store.summary(run_id)
    assert set(summary["variable"]) == {"price_quantiles", "first_stoppage_quantiles",
                                        "stop_probability", "expected_lost_value", "stopped",
                                        "weeks_stopped"}
    row = summary[(summary["variable"] == "stop_probability") & (summary["region"] == "CHN")]
    assert row["unit"].tolist() == ["1", "1"]


def test_datetime_and_partial_variables_round_trip(store: RunStore) -> None:
    dataset = xr.Dataset(
        {"first_stop_date": (("draw", "region"),
                             np.array([["2025-03-03", "NaT"], ["2025-04-07", "2025-01-06"]],
                                      dtype="datetime64[ns]")),
         "share": (("region",), [0.25, np.nan], {"units": "1"})},
        coords={"draw": [0, 1], "region": ["USA", "JPN"], "label": ((), "x")},
    )
    run_id = store.save(dataset, {"seed": 1}, "name: x\n")
    xr.testing.assert_identical(store.get(run_id).dataset, dataset)


def test_variables_with_an_empty_dimension_round_trip(store: RunStore) -> None:
    # A run without licences has licence_route of length 0: its summaries have no rows at all.
    dataset = xr.Dataset(
        {"licence_queue_quantiles": (("quantile", "time", "licence_route"), np.zeros((3, 4, 0)),
                                     {"units": "t"}),
         "price": (("time",), [1.0, 2.0, 3.0, 4.0])},
        coords={"quantile": [0.05, 0.5, 0.95], "time": np.arange(4),
                "licence_route": np.array([], dtype=object)},
    )
    run_id = store.save(dataset, {"seed": 1}, "name: x\n")
    back = store.get(run_id).dataset
    assert back["licence_queue_quantiles"].shape == (3, 4, 0)
    np.testing.assert_array_equal(back["price"].values, dataset["price"].values)


def test_get_reads_only_the_variables_asked_for(store: RunStore) -> None:
    run_id = store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    subset = store.get(run_id, variables=["price", "stop_probability", "no_such"]).dataset
    assert sorted(subset.data_vars) == ["price", "stop_probability"]


def test_list_is_newest_first_and_filters_by_kind(store: RunStore) -> None:
    first = store.save(fake_dataset(), fake_manifest(seed=1), SCENARIO_TEXT)
    second = store.save(fake_dataset(), fake_manifest(seed=2), SCENARIO_TEXT, kind="replay")
    assert [r.run_id for r in store.list()] == [second, first]
    assert [r.run_id for r in store.list(kind="replay")] == [second]
    info = store.info(first)
    assert (info.seed, info.draws, info.dataset, info.scenario) == (1, 8, "toy", "fake-squeeze")
    assert info.run_seconds == pytest.approx(1.4)
    assert info.save_seconds is not None
    assert info.save_seconds > 0
    assert json.dumps(info.to_dict())  # JSON-able


def test_manifest_with_nested_fields_and_no_hash(store: RunStore) -> None:
    manifest = {"version": "9.9", "dataset": {"name": "base", "hash": "abc"},
                "scenario": {"name": "nested", "hash": "def"}, "seed": "4", "draws": 10,
                "timings": {"build": 1.0, "loop": 2.0}}
    info = store.info(store.save(fake_dataset(), manifest, SCENARIO_TEXT))
    assert (info.spigot_version, info.dataset, info.dataset_hash) == ("9.9", "base", "abc")
    assert (info.scenario, info.scenario_hash, info.seed, info.run_seconds) == (
        "nested", "def", 4, 3.0)
    bare = store.info(store.save(fake_dataset(), {}, SCENARIO_TEXT))
    assert bare.scenario_hash is not None
    assert len(bare.scenario_hash) == 64


def test_empty_store_lists_nothing_and_creates_nothing(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "absent")
    assert store.list() == []
    assert not store.path.exists()
    with pytest.raises(UnknownRunError, match="unknown run"):
        store.get("20260101-000000-abcdef")


def test_resolve_prefix_latest_and_unknown(store: RunStore) -> None:
    run_id = store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    assert is_run_id(run_id)
    assert store.resolve(run_id[:12]) == run_id
    assert store.resolve("latest") == run_id
    with pytest.raises(UnknownRunError, match=r"unknown run: got '20990101'"):
        store.resolve("20990101")


@pytest.mark.parametrize("ref", ["../../etc/passwd", "/etc/passwd", "runs/x", "a b", "", "LATEST"])
def test_ids_that_are_paths_are_refused_before_any_lookup(store: RunStore, ref: str) -> None:
    store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    with pytest.raises(UnknownRunError, match="unknown run"):
        store.get(ref)


def test_ambiguous_prefix(store: RunStore) -> None:
    store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    with pytest.raises(InputError, match="ambiguous"):
        store.resolve("2")


def test_latest_of_an_empty_store(store: RunStore) -> None:
    with pytest.raises(InputError, match="run store is empty"):
        store.resolve("latest")


def test_delete_removes_rows_and_files(store: RunStore) -> None:
    keep = store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    gone = store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    store.delete(gone)
    assert [r.run_id for r in store.list()] == [keep]
    assert not (store.path / "runs" / gone).exists()
    assert set(store.summary(keep)["variable"])
    with pytest.raises(UnknownRunError):
        store.delete(gone)


def test_export_writes_plain_files(store: RunStore, tmp_path: Path) -> None:
    run_id = store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    target = store.export(run_id, tmp_path / "out")
    names = sorted(p.name for p in target.iterdir())
    assert names == ["layout.json", "manifest.json", "scenario.yaml", "summary.csv",
                     "summary.parquet", "trajectories"]
    document = json.loads((target / "manifest.json").read_text())
    assert document["run"]["run_id"] == run_id
    assert document["manifest"]["seed"] == 3
    assert (target / "scenario.yaml").read_text() == SCENARIO_TEXT
    assert len(pd.read_csv(target / "summary.csv")) == len(store.summary(run_id))
    with pytest.raises(InputError, match="folder is not empty"):
        store.export(run_id, target)
    assert store.export(run_id, target, overwrite=True) == target


def test_names_and_dtypes_that_cannot_be_stored(store: RunStore) -> None:
    with pytest.raises(InputError, match="variable name cannot be stored: got 'bad name'"):
        store.save(xr.Dataset({"bad name": (("x",), [1.0])}), {}, "")
    with pytest.raises(InputError, match="variable dtype cannot be stored"):
        store.save(xr.Dataset({"label": (("x",), np.array(["a"], dtype=object))}), {}, "")
    with pytest.raises(InputError, match="unknown run kind: got 'optimise'"):
        store.save(fake_dataset(), {}, "", kind="optimise")
    assert store.list() == []


def test_reserved_dimension_names_are_stored_under_another_column(store: RunStore) -> None:
    dataset = xr.Dataset({"x": (("value", "unit"), np.ones((2, 2)))},
                         coords={"value": [1, 2], "unit": ["a", "b"]})
    run_id = store.save(dataset, {}, "")
    xr.testing.assert_identical(store.get(run_id).dataset, dataset)
    assert {"dim_value", "dim_unit"} <= set(store.summary(run_id).columns)


def test_interrupted_save_leaves_nothing(store: RunStore) -> None:
    keep = store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)

    def interrupt(step: str, done: int, total: int) -> None:
        if step == "writing catalog":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT, progress=interrupt)
    assert [r.run_id for r in store.list()] == [keep]
    assert [p.name for p in (store.path / "runs").iterdir()] == [keep]
    assert list((store.path / "tmp").iterdir()) == []


def test_progress_is_reported(store: RunStore) -> None:
    steps: list[tuple[str, int, int]] = []
    store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT,
               progress=lambda s, d, t: steps.append((s, d, t)))
    assert steps[0] == ("writing price", 0, 7)
    assert steps[-1] == ("saved", 7, 7)


def test_default_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPIGOT_STORE", str(tmp_path / "env-store"))
    assert default_store_path() == tmp_path / "env-store"
    assert RunStore().path == tmp_path / "env-store"
    monkeypatch.delenv("SPIGOT_STORE")
    assert default_store_path() == Path.home() / ".spigot" / "runs"


def test_load_gives_results_whose_metrics_match_the_run(tmp_path: Path) -> None:
    import spigot as sp
    from spigot.sim import simulate

    scen = sp.scenarios.load("licence-squeeze").with_options(horizon_weeks=26)
    results = simulate(scen, draws=8, seed=5)
    store = RunStore(tmp_path / "store")
    run_id = store.save(results.data, results.manifest, scen.to_yaml())
    loaded = store.load(run_id)
    assert isinstance(loaded, sp.Results)
    assert loaded.manifest["seed"] == results.manifest["seed"]
    pd.testing.assert_frame_equal(loaded.metrics.lost_output(), results.metrics.lost_output())
    pd.testing.assert_frame_equal(loaded.metrics.first_stoppage(), results.metrics.first_stoppage())
