"""Shared fixtures: bundled worlds and editable copies of them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import spigot as sp


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
