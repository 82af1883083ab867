"""`spigot runs ...` and `spigot report` as a user runs them: exit codes, formats, messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spigot.cli.runs import scenario_text_of
from spigot.scenarios import load_text
from spigot.store import RunStore
from tests.clikit import cli as run
from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    store = RunStore(tmp_path / "store")
    store.save(fake_dataset(), fake_manifest(seed=1), SCENARIO_TEXT)
    store.save(fake_dataset(), fake_manifest(seed=2), SCENARIO_TEXT, kind="replay")
    return store


def test_list_json_and_table(capsys: pytest.CaptureFixture[str], store: RunStore) -> None:
    code, out, _ = run(capsys, "runs", "list", "--store", str(store.path), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["store"] == str(store.path)
    assert [r["seed"] for r in doc["runs"]] == [2, 1]
    assert set(doc["runs"][0]) >= {"run_id", "kind", "created_at", "scenario", "dataset", "draws",
                                   "seed", "dataset_hash", "scenario_hash", "run_seconds"}
    code, out, _ = run(capsys, "runs", "list", "--store", str(store.path), "--kind", "replay")
    assert code == 0
    assert "replay" in out
    assert "fake-squeeze" in out


def test_store_from_the_environment(capsys: pytest.CaptureFixture[str], store: RunStore,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPIGOT_STORE", str(store.path))
    code, out, _ = run(capsys, "runs", "list", "--format", "csv")
    assert code == 0
    assert len(out.strip().splitlines()) == 3


def test_show(capsys: pytest.CaptureFixture[str], store: RunStore) -> None:
    run_id = store.list()[-1].run_id
    code, out, _ = run(capsys, "runs", "show", run_id[:-2], "--store", str(store.path),
                       "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["run"]["run_id"] == run_id
    assert doc["manifest"]["timings"]["total"] == 1.4
    stored = {v["variable"]: v["stored"] for v in doc["variables"]}
    assert stored["price"] == "trajectories (Parquet)"
    assert stored["stop_probability"] == "summary (catalog)"
    code, out, _ = run(capsys, "runs", "show", "latest", "--store", str(store.path))
    assert code == 0
    assert "Scenario:" in out
    assert "fake-squeeze" in out


def test_unknown_and_path_like_run_ids_exit_2(capsys: pytest.CaptureFixture[str],
                                              store: RunStore) -> None:
    for ref in ("20990101-000000-abcdef", "../../etc/passwd"):
        code, _, err = run(capsys, "runs", "show", ref, "--store", str(store.path))
        assert code == 2
        assert "unknown run" in err
        assert "Traceback" not in err


def test_delete_needs_confirmation_from_a_script(capsys: pytest.CaptureFixture[str],
                                                 store: RunStore) -> None:
    run_id = store.list()[0].run_id
    code, _, err = run(capsys, "runs", "delete", run_id, "--store", str(store.path))
    assert code == 2
    assert "pass --yes" in err
    code, out, _ = run(capsys, "runs", "delete", run_id, "--store", str(store.path), "--yes")
    assert code == 0
    assert f"deleted {run_id}" in out
    assert run_id not in {r.run_id for r in store.list()}


def test_export(capsys: pytest.CaptureFixture[str], store: RunStore, tmp_path: Path) -> None:
    code, _out, _ = run(capsys, "runs", "export", "latest", str(tmp_path / "x"), "--store",
                       str(store.path))
    assert code == 0
    assert (tmp_path / "x" / "trajectories" / "price.parquet").exists()
    code, _, err = run(capsys, "runs", "export", "latest", str(tmp_path / "x"), "--store",
                       str(store.path))
    assert code == 2
    assert "folder is not empty" in err


def test_report(capsys: pytest.CaptureFixture[str], store: RunStore, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "r.html"
    code, out, err = run(capsys, "report", "latest", "-o", str(target), "--store",
                         str(store.path), "--quiet")
    assert code == 0
    assert out.strip() == str(target)
    assert err == ""
    assert "What stopped when" in target.read_text(encoding="utf-8")
    code, _, err = run(capsys, "report", "nope", "--store", str(store.path))
    assert code == 2
    assert "unknown run: got 'nope'" in err


def test_report_with_a_dataset_folder(capsys: pytest.CaptureFixture[str], store: RunStore,
                                      toy_folder: Path, tmp_path: Path) -> None:
    code, _out, _ = run(capsys, "report", "latest", "-o", str(tmp_path / "r.html"), "--store",
                       str(store.path), "--dataset", str(toy_folder))
    assert code == 0
    assert "dataset given by the user" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_empty_store(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "runs", "list", "--store", str(tmp_path / "none"), "-f", "json")
    assert code == 0
    assert json.loads(out)["runs"] == []
    code, _, err = run(capsys, "report", "latest", "--store", str(tmp_path / "none"))
    assert code == 2
    assert "the run store is empty" in err


def test_spigot_run_keeps_the_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests.web.conftest import TOY_SCENARIO

    scenario = tmp_path / "toy.yaml"
    scenario.write_text(TOY_SCENARIO, encoding="utf-8")
    store = RunStore(tmp_path / "runs")
    code, out, err = run(capsys, "run", str(scenario), "--draws", "64", "--store",
                         str(store.path), "--format", "json")
    assert code == 0
    json.loads(out)  # stdout stays clean JSON; the note is on stderr
    (info,) = store.list()
    assert f"saved run {info.run_id}" in err
    assert (info.scenario, info.draws, info.dataset) == ("toy-squeeze", 64, "toy")
    assert store.get(info.run_id).scenario_text == TOY_SCENARIO
    code, out, err = run(capsys, "run", str(scenario), "--draws", "64", "--store",
                         str(store.path), "--no-save", "--quiet", "--format", "csv")
    assert code == 0
    assert err == ""
    assert len(store.list()) == 1


def test_run_on_another_world_stores_the_text_that_was_run(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "store"
    code, out, _ = run(capsys, "run", "baseline", "--dataset", "toy", "--draws", "2", "--weeks",
                       "8", "--store", str(path), "--format", "json")
    assert code == 0, out
    stored = RunStore(path).get("latest")
    assert stored.manifest["dataset"] == "toy"
    assert stored.info.dataset == "toy"
    # the baseline file says `dataset: base`; the stored text names the world that was run,
    # and loads back as a scenario on it
    lines = [x for x in stored.scenario_text.splitlines() if x.startswith("dataset:")]
    assert lines == ['dataset: "toy"  # spigot run --dataset']
    assert load_text(stored.scenario_text).dataset == "toy"


def test_a_scenario_without_a_dataset_line_gets_one(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nhorizon_weeks: 8\n", encoding="utf-8")
    text = scenario_text_of(str(path), "toy")
    assert text.splitlines()[0] == 'dataset: "toy"  # spigot run --dataset'
    assert load_text(text).dataset == "toy"
    assert scenario_text_of(str(path)) == "name: s\nhorizon_weeks: 8\n"


def test_run_on_an_unknown_world_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "run", "baseline", "--dataset", "nowhere", "--no-save")
    assert code == 2
    assert "unknown dataset" in err
    assert "'nowhere'" in err
    assert "dataset folder" in err
