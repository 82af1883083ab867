"""Shared fixtures: bundled worlds and editable copies of them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

import spigot as sp

#: Hypothesis profiles. ``ci`` (the default, so ``make test`` and CI) derandomizes: every run
#: tries the same examples, so a property cannot pass on one run and fail on the next without a
#: code change; ``explore`` searches afresh (``pytest --hypothesis-profile explore
#: --hypothesis-seed N``, with ``SPIGOT_PROPERTY_EXAMPLES`` for tests/properties) to find new
#: counterexamples, which are then pinned with ``@example`` (docs/design.md).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("SPIGOT_HYPOTHESIS_PROFILE", "ci"))

#: Fixtures shared across folders: ``browser`` (headless Chromium for the browser tests).
pytest_plugins = ["tests.browserkit"]

#: Test files that start servers, browsers or subprocesses, or run many simulations: marked
#: ``slow`` so that ``pytest -m "not slow"`` is a loop of under a minute for developers;
#: ``make test`` (and CI) runs everything. Chosen from ``pytest --durations=0`` (docs/design.md).
SLOW_FILES = frozenset({
    "tests/web/test_pages.py", "tests/web/test_browser.py", "tests/web/test_hostile.py",
    "tests/web/test_serve_cli.py", "tests/web/test_api.py", "tests/web/test_views.py",
    "tests/report/test_report_browser.py", "tests/report/test_report.py",
    "tests/e2e/test_open_every_run.py", "tests/store/test_atomicity.py",
    "tests/store/test_cli_runs.py", "tests/store/test_run_store.py",
    "tests/properties/test_engine_properties.py", "tests/sim/test_markets_engine.py",
    "tests/sim/test_markets_numba.py", "tests/risk/test_base.py", "tests/test_quality.py",
    "tests/market/test_stationary_base.py", "tests/validation/test_discrete_licence.py",
    "tests/web/test_sweeps.py", "tests/web/test_sweep_browser.py",
    "tests/sweep/test_cluster.py", "tests/sweep/test_grouping.py",
    "tests/sweep/test_sensitivity.py", "tests/sweep/test_store.py",
})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        if Path(str(item.path)).relative_to(root).as_posix() in SLOW_FILES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def _run_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Runs saved by tests (``spigot run`` keeps every run) go to a temporary store, never to
    the user's ``~/.spigot/runs``."""
    path = tmp_path_factory.mktemp("spigot-runs")
    old = os.environ.get("SPIGOT_STORE")
    os.environ["SPIGOT_STORE"] = str(path)
    yield path
    if old is None:
        os.environ.pop("SPIGOT_STORE", None)
    else:
        os.environ["SPIGOT_STORE"] = old


@pytest.fixture(scope="session")
def toy() -> sp.SupplyNetwork:
    """The bundled toy world (validated)."""
    return sp.datasets.load("toy")


@pytest.fixture
def toy_folder(tmp_path: Path) -> Path:
    """An editable copy of the toy world in a temporary folder."""
    return sp.datasets.export("toy", tmp_path / "world")


def edit_csv(path: Path, old: str, new: str) -> None:
    """Replace the first occurrence of ``old`` by ``new`` in a file (test helper)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
