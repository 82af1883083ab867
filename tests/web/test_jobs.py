"""The dashboard's run queue and progress reporting, without a server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from spigot.cli.progress import progress_bar, show_progress
from spigot.errors import InputError
from spigot.store import RunStore
from spigot.web.jobs import Job, JobManager, Report, execute
from tests.web.conftest import TOY_SCENARIO


def _wait(manager: JobManager, job: Job, limit: float = 120.0) -> Job:
    deadline = time.monotonic() + limit
    while job.status not in ("done", "failed"):
        assert time.monotonic() < deadline, f"job did not finish: {job}"
        time.sleep(0.02)
    found = manager.get(job.job_id)
    assert found is not None
    return found


def test_jobs_run_in_order_and_report_progress(tmp_path: Path) -> None:
    release = threading.Event()
    seen: list[float] = []

    def runner(store: Path, text: str, draws: int | None, seed: int | None,
               report: Report) -> str:
        report(0.5, "half way")
        seen.append(0.5)
        release.wait(30)
        if text == "bad":
            raise InputError("the scenario is bad")
        return f"run-{seed}"

    manager = JobManager(tmp_path, runner, max_queued=2)
    first = manager.submit("a", "good", 10, 1)
    second = manager.submit("b", "bad", 10, 2)
    with pytest.raises(InputError, match="2 runs are already queued or running"):
        manager.submit("c", "good", 10, 3)
    deadline = time.monotonic() + 30
    while first.progress < 0.5:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert (first.status, first.message, second.status) == ("running", "half way", "queued")
    release.set()
    assert _wait(manager, first).run_id == "run-1"
    failed = _wait(manager, second)
    assert (failed.status, failed.error) == ("failed", "the scenario is bad")
    assert "text" not in failed.to_dict()
    assert [j.job_id for j in manager.list()] == [second.job_id, first.job_id]
    manager.shutdown()


def test_execute_reports_progress_from_the_engine(tmp_path: Path) -> None:
    steps: list[tuple[float, str]] = []
    run_id = execute(tmp_path / "store", TOY_SCENARIO, 2100, 1,
                     lambda f, m: steps.append((f, m)), follow_engine_log=True)
    assert RunStore(tmp_path / "store").info(run_id).draws == 2100
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert any(m == "simulated 1024 of 2100 draws" for _, m in steps)


def test_progress_bars_are_silent_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert not show_progress()  # pytest captures output: not a terminal
    with progress_bar("work") as advance:
        advance("step", 1, 2)
    with progress_bar("work", quiet=True) as advance:
        advance("step", 2, 2)
    out, err = capsys.readouterr()
    assert (out, err) == ("", "")
