"""The engine keeps freed scratch memory in the process on glibc (spigot.sim.memory), unless
the user turned it off or tuned glibc's allocator themselves."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

CODE = "from spigot.sim.memory import keep_freed_memory; print(keep_freed_memory())"


def _in_fresh_process(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    clean.pop("SPIGOT_KEEP_FREED_MEMORY", None)
    out = subprocess.run([sys.executable, "-c", CODE], env={**clean, **env}, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only")
def test_thresholds_are_set_on_glibc() -> None:
    assert _in_fresh_process() == "True"


def test_the_user_can_turn_it_off() -> None:
    assert _in_fresh_process(SPIGOT_KEEP_FREED_MEMORY="0") == "False"


def test_a_users_own_malloc_setting_wins() -> None:
    assert _in_fresh_process(MALLOC_ARENA_MAX="2") == "False"
