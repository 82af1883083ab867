"""Points grouped several to a Dask task give exactly the numbers of one point a task, and the
progress callback counts points (not tasks) up to the total."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import spigot as sp
from spigot.sweep import execute, parse_param
from spigot.sweep.design import design_points
from spigot.sweep.execute import connect, evaluate_points, points_per_task
from spigot.sweep.params import apply_point

TOY = Path(__file__).parent / "toy_licence.yaml"


@pytest.mark.parametrize(("points", "workers", "per"), [
    (16, 1, 1), (31, 1, 1), (32, 1, 2), (1024, 2, 8), (1024, 8, 8), (64, 2, 2), (0, 2, 1),
])
def test_points_per_task(points: int, workers: int, per: int) -> None:
    assert points_per_task(points, workers) == per


def test_grouped_points_equal_one_point_a_task(monkeypatch: pytest.MonkeyPatch) -> None:
    base = sp.scenarios.load(str(TOY)).with_options(draws=8, horizon_weeks=6)
    specs = [parse_param("policies[0].approval.default=0.3:0.9"),
             parse_param("policies[0].processing_time.distribution.median=20:60")]
    _, values = design_points(specs, "lhs", 7, base.seed)
    scens = [apply_point(base, specs, row) for row in values]
    outputs = ["USA.automotive"], ["dy_oxide", "ndfeb_magnet"]
    with connect(None, 1) as cluster:
        single = evaluate_points(cluster, scens, *outputs)
        monkeypatch.setattr(execute, "MIN_TASKS_PER_WORKER", 1)
        monkeypatch.setattr(execute, "MAX_POINTS_PER_TASK", 3)
        assert points_per_task(len(scens), 1) == 3  # tasks of 3, 3 and 1 points
        seen: list[tuple[int, int]] = []
        grouped = evaluate_points(cluster, scens, *outputs,
                                  progress=lambda d, n: seen.append((d, n)))
    names = list(single[0])
    table = np.array([[r[n] for n in names] for r in single])
    assert [list(r) for r in grouped] == [names] * len(scens)
    np.testing.assert_array_equal(np.array([[r[n] for n in names] for r in grouped]), table)
    assert len({tuple(row) for row in np.nan_to_num(table)}) > 1  # the points differ
    assert sorted(seen) == seen
    assert seen[-1] == (7, 7)
    assert len(seen) == 3  # one call per completed task
