"""Repository-wide quality gates that CI enforces through `make test`.

ruff, mypy and the import-linter layer contract must be clean, no module in ``src`` is longer
than 800 lines, the public namespace must match
``__all__``, and the generated schema documentation must match the schema files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import spigot

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False)


def test_ruff_is_clean() -> None:
    proc = _run("ruff", "check", "src", "tests", "benchmarks", "tools")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_layers_are_kept() -> None:
    # import-linter's contract in pyproject.toml: a lower layer never imports a higher one
    proc = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_source_module_is_longer_than_800_lines() -> None:
    # issue 16: small modules; a module past the limit is split by rule group (as sim.reference
    # into reference_market and reference_reactions)
    long = {str(path.relative_to(ROOT)): n for path in sorted((ROOT / "src").rglob("*.py"))
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 800}
    assert not long, f"modules over 800 lines: {long}"


def test_mypy_is_clean() -> None:
    proc = _run("mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_public_namespace_matches_all() -> None:
    # the names are resolved lazily (PEP 562): every one of __all__ resolves, and every public
    # non-module name that the package holds is in __all__
    exported = set(spigot.__all__)
    missing = [name for name in exported if not hasattr(spigot, name)]
    assert not missing, f"__all__ names missing from spigot: {missing}"
    public = {name for name in vars(spigot) if not name.startswith("_")} | {"__version__"}
    modules = {name for name in public if type(getattr(spigot, name)).__name__ == "module"}
    helpers = {"annotations", "TYPE_CHECKING", "Any"}
    assert exported >= public - modules - helpers, public - exported


def test_schema_docs_are_current() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_schema_docs.py"), "--check"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_validation_page_is_current() -> None:
    """docs/validation.md is what ``tools/gen_validation.py`` writes from today's engine."""
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_validation.py"), "--check"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
