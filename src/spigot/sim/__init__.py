"""The simulation engine: weekly Monte Carlo over a supply network (numba and reference)."""

from spigot.sim.engine import BLOCK_SIZE, prepare, simulate

__all__ = ["BLOCK_SIZE", "prepare", "simulate"]
