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


@pytest.mark.parametrize("argv", [["--help"], ["data", "list", "--format", "json"],
                                  ["scenario", "--help"], ["run", "--help"]])
def test_light_commands_import_nothing_heavy(argv: list[str]) -> None:
    # the CLI's modules defer pandas, numpy, numba and xarray to the commands that use them
    code = (f"import sys\nfrom spigot.cli.app import main\ncode = main({argv!r})\n"
            "heavy = [m for m in ('pandas', 'numpy', 'numba', 'xarray') if m in sys.modules]\n"
            "print('HEAVY=' + ','.join(heavy))\nsys.exit(code)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "HEAVY="


def test_every_library_subpackage_is_reachable() -> None:
    # a sub-package added to src/spigot must be reachable as sp.<name> (the CLI and the web
    # server are programs, not library API)
    from pathlib import Path

    root = Path(sp.__file__).parent
    packages = {p.parent.name for p in root.glob("*/__init__.py")} - {"cli", "web"}
    missing = sorted(n for n in packages if n not in dir(sp) and not hasattr(sp, n))
    assert "sweep" in packages
    assert missing == []
