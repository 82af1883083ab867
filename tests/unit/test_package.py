"""The package's top level: every public sub-package is reachable after ``import spigot as sp``,
and importing it loads nothing heavy."""

from __future__ import annotations

import subprocess
import sys

import pytest

import spigot as sp


@pytest.mark.parametrize("name", sorted(sp.__all__))
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(sp, name) is not None


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sp.nope  # noqa: B018


def test_import_is_light() -> None:
    # a fresh interpreter: 'import spigot' must not pull in numba, xarray or pandas
    code = ("import sys, spigot; heavy = [m for m in ('numba', 'xarray', 'pandas') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
