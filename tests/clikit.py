"""The CLI as the tests call it: in-process, with its exit code and captured output."""

from __future__ import annotations

import pytest

from spigot.cli.app import main


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``spigot ARGS...``; return (exit code, stdout, stderr)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
