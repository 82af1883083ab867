"""A sweep on a real Dask cluster (a scheduler and two workers started here) gives exactly the
numbers of the same sweep on a local cluster with another chunking, and of its points run one by
one with ``spigot run``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import spigot as sp
from spigot.sweep import apply_point, parse_param
from tests.clikit import cli

HERE = Path(__file__).parent
TOY = str(HERE / "toy_licence.yaml")
PARAMS = ["policies[0].approval.by_destination.USA=0.3:0.7",
          "market.price_adjust_speed=0.01:0.05:loguniform"]
#: 130 draws: three blocks of 64, the last one partial.
COMMON = [TOY, *(a for p in PARAMS for a in ("--param", p)), "--design", "lhs", "--points", "3",
          "--draws", "130", "--weeks", "12", "--pair", "USA.automotive", "--format", "json",
          "--no-save", "--quiet"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(client_check: str, env: dict[str, str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = subprocess.run([sys.executable, "-c", client_check], env=env, capture_output=True,
                              timeout=timeout)
        if done.returncode == 0:
            return
    raise RuntimeError("the Dask cluster did not start")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A ``dask scheduler`` and two ``dask worker`` processes on localhost."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    src = str(Path(sp.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [src, str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")])}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                               "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                 "--no-dashboard", "--host", "127.0.0.1"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_for(f"from distributed import Client; c = Client({address!r}, timeout=5); "
                  "c.wait_for_workers(2, timeout=5)", env)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def _sweep(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code, out, err = cli(capsys, "sweep", *COMMON, *extra)
    assert code == 0, err
    return json.loads(out)


def test_cluster_local_and_one_by_one_agree(capsys: pytest.CaptureFixture[str], scheduler: str,
                                            tmp_path: Path) -> None:
    remote = _sweep(capsys, "--scheduler", scheduler)
    local = _sweep(capsys, "--workers", "2", "--chunk-draws", "64")
    assert remote["manifest"]["scheduler"] == scheduler
    assert remote["manifest"]["workers"] == 2
    assert local["manifest"]["scheduler"] == "local"
    assert local["manifest"]["chunk_draws"] == 64
    assert remote["points"] == local["points"]  # exactly: same floats, same NaNs (None)
    assert len(remote["points"]) == 3
    lost = [p["outputs"]["lost_output_usd_mean"] for p in remote["points"]]
    assert len(set(lost)) == 3  # the parameters move the output: the check has teeth

    base = sp.scenarios.Scenario.from_yaml(TOY)
    specs = [parse_param(p) for p in PARAMS]
    for point in remote["points"]:
        values = [point["parameters"][s.path] for s in specs]
        scen = apply_point(base, specs, values)
        path = tmp_path / f"point{point['point']}.yaml"
        path.write_text(scen.to_yaml(), encoding="utf-8")
        code, out, err = cli(capsys, "run", str(path), "--draws", "130", "--weeks", "12",
                             "--format", "json", "--no-save", "--quiet")
        assert code == 0, err
        run = json.loads(out)
        outputs = point["outputs"]
        assert outputs["lost_output_usd_mean"] == run["summary"]["lost_output_usd_mean"]
        assert outputs["lost_output_usd_p95"] == run["summary"]["lost_output_usd_p95"]
        row = next(s for s in run["sectors"] if s["id"] == "USA.automotive")
        assert outputs["first_stop_week_p50:USA.automotive"] == row["first_stop_week_p50"]
        res = sp.simulate(scen, draws=130, weeks=12)  # what `spigot run` ran: price peaks
        ds = res.data
        names = [str(c) for c in ds["commodity"].values]
        for c in ("ndfeb_magnet", "dy_oxide"):
            i = names.index(c)
            p50 = ds["price"].sel(quantile=0.5).values[:, 1, i] / ds["base_price"].values[1, i]
            assert outputs[f"peak_price_ex_china:{c}"] == float(np.max(p50))


def test_scheduler_from_the_environment(capsys: pytest.CaptureFixture[str], scheduler: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPIGOT_DASK_SCHEDULER", scheduler)
    doc = _sweep(capsys, "--points", "1")
    assert doc["manifest"]["scheduler"] == scheduler
    assert len(doc["points"]) == 1


def test_unreachable_scheduler_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    code, _, err = cli(capsys, "sweep", *COMMON, "--scheduler", address)
    assert code == 2
    assert "cannot reach the Dask scheduler" in err
    assert address in err
