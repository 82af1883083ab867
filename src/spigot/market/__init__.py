"""Markets and behaviour (issue #4): zone prices, demand and supply responses, recycling, stocks.

Small numba kernels, one step for a block of lanes (draws on the last axis), that the engine
calls at its markets/responses hook; each has a plain-Python reference twin for one draw. The
model, every equation and parameter, and the integration plan are in ``docs/model.md``.

- :mod:`spigot.market.parameters`: :func:`load_market_params` -> :class:`MarketParams`
- :mod:`spigot.market.prices`: cover-based prices in two zones with an arbitrage band
- :mod:`spigot.market.demand`: substitution/thrifting with lags and caps; short-run elasticity
- :mod:`spigot.market.supply`: restarts, planned projects (sampled starts), qualification
- :mod:`spigot.market.recycling`: extra recycling supply with capacity and lag
- :mod:`spigot.market.stockpiles`: release rules and safety-stock policies
- :mod:`spigot.market.state`: :class:`MarketState`, the per-block arrays
"""

from __future__ import annotations

from spigot.market.parameters import MarketParams, load_market_params
from spigot.market.state import MarketState

__all__ = ["MarketParams", "MarketState", "load_market_params"]
