"""Shared fixtures: bundled worlds and editable copies of them."""

from __future__ import annotations

from pathlib import Path

import pytest

import spigot as sp


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
