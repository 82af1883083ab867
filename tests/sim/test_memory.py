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


def test_a_run_collects_less_often_and_restores_the_threshold(monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    import gc

    import spigot as sp
    from spigot.errors import InputError
    from spigot.sim import engine
    from spigot.sim.memory import GC_YOUNG_THRESHOLD

    seen: list[tuple[int, int, int]] = []
    real = engine._runner

    def runner(name: str):  # type: ignore[no-untyped-def]
        run_chunk = real(name)

        def spy(*args):  # type: ignore[no-untyped-def]
            seen.append(gc.get_threshold())
            return run_chunk(*args)
        return spy

    monkeypatch.setattr(engine, "_runner", runner)
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        sp.simulate(sp.scenarios.load("baseline"), draws=2, weeks=4, engine="reference")
        assert seen
        assert all(t == (GC_YOUNG_THRESHOLD, 10, 10) for t in seen)
        assert gc.get_threshold() == (700, 10, 10)
        with pytest.raises(InputError):  # restored when the run fails
            sp.simulate(sp.scenarios.load("baseline"), draws=2, weeks=4,
                        engine="nope")  # type: ignore[arg-type]
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_nested_blocks_restore_once_and_a_users_choice_wins() -> None:
    import gc

    from spigot.sim.memory import GC_YOUNG_THRESHOLD, fewer_collections

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with fewer_collections():
            with fewer_collections():
                assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
            assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD  # the outer block still runs
        assert gc.get_threshold() == (700, 10, 10)
        for own in (0, 10 * GC_YOUNG_THRESHOLD):  # disabled through it, or already rarer
            gc.set_threshold(own, 10, 10)
            with fewer_collections():
                assert gc.get_threshold() == (own, 10, 10)
            assert gc.get_threshold() == (own, 10, 10)
    finally:
        gc.set_threshold(*before)
