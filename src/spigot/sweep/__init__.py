"""Parameter sweeps on Dask and their sensitivity indices (issue 21; docs/sweeps.md).

>>> from spigot.sweep import parse_param
>>> parse_param("market.price_adjust_speed=0.01:0.05:loguniform").dist
'loguniform'
"""

from spigot.sweep.params import DISTRIBUTIONS, ParamSpec, apply_point, parse_param
from spigot.sweep.runner import SweepResult, run_sweep

__all__ = ["DISTRIBUTIONS", "ParamSpec", "SweepResult", "apply_point", "parse_param",
           "run_sweep"]
