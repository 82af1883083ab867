"""Small real runs in a store: the built-in scenarios and a replay, cheap enough for browser tests.

Each is simulated by the Python API with few draws and a short horizon, then saved like
``spigot run`` / ``spigot replay`` would (kind ``run`` or ``replay``).
"""

from __future__ import annotations

from pathlib import Path

from spigot import scenarios
from spigot.replays import load_replay
from spigot.scenarios import Scenario
from spigot.sim import simulate
from spigot.store import RunStore

#: Draws and weeks of every stored run (small: the first run compiles the engine).
DRAWS, WEEKS = 16, 20


def _save(store: RunStore, scen: Scenario, kind: str) -> str:
    short = scen.model_copy(update={"horizon_weeks": WEEKS, "draws": DRAWS})
    results = simulate(short, draws=DRAWS, seed=3)
    return store.save_results(results, short.to_yaml(), kind=kind)


def store_real_runs(path: Path, names: tuple[str, ...] = ("baseline", "magnet-embargo",
                                                           "licence-squeeze")) -> dict[str, str]:
    """Run ``names`` and the 2023 gallium replay into the store at ``path``.

    Returns
    -------
    dict of str to str
        Scenario name (``replay-2023-gallium`` for the replay) -> run id.
    """
    store = RunStore(path)
    ids = {name: _save(store, scenarios.load(name), "run") for name in names}
    ids["replay-2023-gallium"] = _save(store, load_replay("replay-2023-gallium"), "replay")
    return ids
