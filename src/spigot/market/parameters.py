"""Market and behaviour parameters: the table ``parameters.csv`` aligned to a compiled network.

Every parameter has a row in ``src/spigot/market/parameters.csv`` with its value, unit, meaning,
source or calibration note and confidence (``docs/model.md`` lists them with the equations).
:func:`load_market_params` reads that table (or a user's copy), applies overrides, validates
every value and returns :class:`MarketParams`: plain numpy arrays indexed like the
:class:`~spigot.network.compiled.CompiledNetwork` (per commodity, zone, sector, node, route,
stockpile), with times converted to steps and rates to per-step rates. The kernels read nothing
else.

Keys of the table: ``*`` (default for the scope), a commodity id (``commodity`` scope),
``sector:commodity`` where ``sector`` is a short sector name (all regions) or a full sector id
(``USA.automotive``) (``sector_commodity``), ``stage:commodity`` (``stage_commodity``), a stage
name (``stage``).
"""

# ruff: noqa: N806 - sizes are named as in the docs (C commodities, N nodes, ...)

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from spigot.errors import InputError, Problem, did_you_mean
from spigot.network.compiled import STAGES, STATUSES, ZONES, CompiledNetwork
from spigot.network.files import read_csv_table

__all__ = [
    "EXPORTER_ZONE",
    "NODE_COVER_WEEKS",
    "PARAMETERS",
    "MarketParams",
    "default_table",
    "load_market_params",
    "market_pairs",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Zone whose export controls the model studies (index into ``ZONES``): idle capacity restarts
#: only outside it, and its export openness scales the upper arbitrage band.
EXPORTER_ZONE = ZONES.index("china")
#: Weeks of input the engine's processing nodes hold in its initial state (spigot.sim.build.model).
NODE_COVER_WEEKS = 2.0
#: Node kinds for the capacity kernel.
KIND_FIXED, KIND_PROJECT, KIND_IDLE = 0, 1, 2

#: parameter id -> (scope, lowest, highest). Every row of the table must name one of these.
PARAMETERS: dict[str, tuple[str, float, float]] = {
    "price_inv_flexibility": ("commodity", 0.0, 10.0),
    "price_cap_multiple": ("commodity", 1.0, 1000.0),
    "price_floor_multiple": ("commodity", 1e-6, 1.0),
    "price_adjust_speed": ("global", 0.0, 1.0),
    "arbitrage_band": ("global", 0.0, 10.0),
    "arbitrage_strength": ("global", 0.0, 1.0),
    "substitution_cap": ("sector_commodity|stage_commodity", 0.0, 1.0),
    "substitution_floor": ("sector_commodity", 0.0, 0.99),
    "substitution_floor_week": ("sector_commodity", 0.0, 1e6),
    "substitution_price_on": ("global", 1e-6, 1000.0),
    "substitution_price_full": ("global", 1e-6, 1000.0),
    "substitution_adopt_weeks": ("global", 1e-9, 1e6),
    "substitution_revert_weeks": ("global", 1e-9, 1e6),
    "demand_plan_floor": ("global", 0.0, 1.0),
    "restart_price": ("global", 1e-6, 1000.0),
    "restart_lag_weeks": ("global", 0.0, 1e6),
    "restart_ramp_weeks": ("global", 0.0, 1e6),
    "project_delay_min_years": ("global", -50.0, 50.0),
    "project_delay_mode_years": ("global", -50.0, 50.0),
    "project_delay_max_years": ("global", -50.0, 50.0),
    "qualification_weeks": ("stage", 0.0, 1e6),
    "project_margin_elasticity": ("global", 0.0, 100.0),
    "plant_margin_elasticity": ("global", 0.0, 100.0),
    "supplier_fill_weeks": ("global", 1e-9, 1e6),
    "separator_smoothing_weeks": ("global", 0.0, 1e6),
    "recycling_share": ("commodity", 0.0, 1.0),
    "recycling_lag_weeks": ("global", 1e-9, 1e6),
    "recycling_price_on": ("global", 1e-6, 1000.0),
    "recycling_price_full": ("global", 1e-6, 1000.0),
    "stockpile_price_trigger": ("global", 0.0, 1000.0),
    "safety_stock_extra": ("global", 0.0, 100.0),
    "safety_stock_trigger_price": ("global", 0.0, 1000.0),
    "safety_stock_up_weeks": ("global", 1e-9, 1e6),
    "safety_stock_down_weeks": ("global", 1e-9, 1e6),
    "cover_dispersion": ("global", 0.0, 3.0),
    "plant_classes": ("global", 1.0, 50.0),
}

_COLUMNS = ("parameter", "scope", "key", "value", "unit", "meaning", "source", "confidence")
_FILE = "parameters.csv"


@dataclass(frozen=True, eq=False)
class MarketParams:
    """Market and behaviour parameters aligned to one compiled network. Rates are per step.

    Dimensions: ``Z`` zones, ``C`` commodities, ``S`` sectors, ``N`` nodes, ``K`` routes,
    ``P`` stockpiles, ``Q`` sector-commodity pairs (as ``SimModel.sc_*``), ``U`` substitution
    uses, ``RP`` recycling pairs (region x commodity), ``B`` region buffers (region x commodity
    with use). Zone 0 is China (the exporting zone), zone 1 ex-China.
    """

    step_weeks: float
    table: pd.DataFrame  # the validated table the values come from (with overrides applied)
    # ---- prices
    p0: FloatArray  # (Z, C) base price, USD/t (unknown prices filled, see price_known)
    price_known: BoolArray  # (Z, C) whether p0 comes from the dataset
    use0: FloatArray  # (Z, C) base use in the zone (sectors and node inputs), t/step
    stock0: FloatArray  # (Z, C) stock in the zone in the engine's initial state, t
    cover_target: FloatArray  # (Z, C) stock0 / use0, steps (0 where no use)
    zone_share: FloatArray  # (Z, C) zone's share of world use (0.5/0.5 where no use)
    inv_flex: FloatArray  # (C,) exponent k of the cover rule
    log_cap: FloatArray  # (C,) log of the cap multiple
    log_floor: FloatArray  # (C,) log of the floor multiple
    speed: float  # share of the log price gap closed per step
    band: float  # half-width of the arbitrage band (ratio)
    arb_strength: float
    # ---- demand: substitution uses and sector plans
    use_kind: IntArray  # (U,) 0 sector-commodity pair, 1 node input
    use_item: IntArray  # (U,) pair index q (kind 0) or node index (kind 1)
    use_c: IntArray  # (U,)
    use_zone: IntArray  # (U,)
    use_cap: FloatArray  # (U,) largest reduction of the intensity, share
    subst_log_on: float  # log of substitution_price_on (the kernels compare log prices)
    subst_log_full: float
    adopt_rate: float  # 1 - exp(-step / adopt time)
    revert_rate: float
    pair_sector: IntArray  # (Q,) as SimModel.sc_sector
    pair_c: IntArray  # (Q,) as SimModel.sc_c
    pair_weight: FloatArray  # (Q,) share of the pair in its sector's base material bill (USD)
    sec_ptr: IntArray  # (S+1,) CSR of pairs per sector (as SimModel.sec_ptr)
    sec_pair: IntArray  # as SimModel.sec_sc
    sector_zone: IntArray  # (S,)
    sector_elasticity: FloatArray  # (S,) short-run price elasticity (<= 0)
    plan_group: IntArray  # (S,) plan group of each sector (same zone, elasticity and weights)
    group_zone: IntArray  # (G,)
    group_elasticity: FloatArray  # (G,)
    group_ptr: IntArray  # (G+1,) CSR of the groups' entries
    entry_c: IntArray  # commodity of each entry
    entry_w: FloatArray  # weight of each entry (sums to 1 per group)
    plan_floor: float
    # ---- supply
    node_zone: IntArray  # (N,)
    node_ref_c: IntArray  # (N,) main output (largest base value), -1 if none
    node_kind: IntArray  # (N,) KIND_FIXED, KIND_PROJECT or KIND_IDLE
    node_capacity: FloatArray  # (N,) t activity/step at full capacity
    node_base: FloatArray  # (N,) base-year activity, t/step
    node_usable: FloatArray  # (N,) what the engine treats as usable today (SimModel.node_cap)
    node_ramp_steps: FloatArray  # (N,) ramp of planned/ramping nodes, steps
    node_start_year: FloatArray  # (N,) announced start, decimal year (NaN if none)
    restart_ok: BoolArray  # (N,) idle and outside the exporting zone
    qual_steps: IntArray  # (N,) qualification period, steps
    log_restart: float  # log of restart_price
    restart_lag: int  # steps (>= 1)
    restart_ramp: float  # steps
    delay_min: float  # years
    delay_mode: float
    delay_max: float
    margin_out_share: FloatArray  # (N, C) base value share of each output of a node, 1
    margin_in_share: FloatArray  # (N, C) base cost share of each input of a node, 1
    margin_out_ptr: IntArray  # (N + 1,) node n's outputs with a value share: margin_out_c[ptr]
    margin_out_c: IntArray  # their commodities, ascending per node
    margin_in_ptr: IntArray  # (N + 1,) the same for the inputs with a cost share
    margin_in_c: IntArray
    margin_elasticity: float  # of planned new activity to the log margin ratio, 1
    fixed_margin_elasticity: float  # of an operating plant's activity to the log margin ratio, 1
    fill_rate: float  # 1 - exp(-step / supplier_fill_weeks): smoothing of new suppliers' fill
    joint_smooth_rate: float  # 1 - exp(-step / separator_smoothing_weeks); 1: no smoothing
    joint_workoff_rate: float  # step / separator_smoothing_weeks (0: none): stock worked off
    route_weight: FloatArray  # (K,) share of the origin's output of the commodity the route takes
    route_base: FloatArray  # (K,) base flow, t/step
    route_to_region: BoolArray  # (K,)
    route_responsive: IntArray  # routes out of projects and idle nodes (their weights move)
    # ---- recycling
    rp_region: IntArray  # (RP,)
    rp_c: IntArray
    rp_zone: IntArray
    rp_capacity: FloatArray  # (RP,) extra recycling capacity, t/step (= share x base use)
    recycle_rate: float  # 1 - exp(-step / lag)
    recycle_log_on: float
    recycle_log_full: float
    # ---- stockpiles and safety stocks
    pile_zone: IntArray  # (P,)
    pile_c: IntArray  # (P,)
    pile_log_trigger: FloatArray  # (P,) log of the pile's own price trigger, else of
    # stockpile_price_trigger; inf: off
    buf_region: IntArray  # (B,) region buffers: region
    buf_c: IntArray  # (B,) commodity
    buf_zone: IntArray  # (B,)
    safety_extra: float
    safety_log_trigger: float  # log of safety_stock_trigger_price; inf: off
    safety_up_rate: float
    safety_down_rate: float
    cover_dispersion: float  # sd of the log of the plants' cover multipliers, 1 (0: one class)
    plant_classes: int  # equal plant classes per region x sector when cover_dispersion > 0
    # ---- projects a mitigation measure committed (status ``committed``): they start on their
    # start date with no sampled delay, with or without scenario growth (docs/mitigation.md)
    node_committed: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # ---- dated thrift (a mitigation measure's substitution): from step ``use_floor_step`` on,
    # the use's intensity is further multiplied by ``1 - use_floor`` (docs/model.md)
    use_floor: FloatArray = field(default_factory=lambda: np.zeros(0))  # (U,) share
    use_floor_step: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # (U,)

    @property
    def n_uses(self) -> int:
        """Number of substitution uses."""
        return len(self.use_c)

    def parameter(self, name: str, key: str = "*") -> float:
        """The table value of parameter ``name`` for ``key`` (``*``: the default)."""
        rows = self.table[(self.table["parameter"] == name) & (self.table["key"] == key)]
        if rows.empty:
            raise InputError(Problem("no such parameter row", field="parameter",
                                     value=f"{name}[{key}]"))
        return float(rows["value"].iloc[-1])


def default_table() -> pd.DataFrame:
    """The bundled parameter table (``src/spigot/market/parameters.csv``)."""
    with resources.files("spigot.market").joinpath(_FILE).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def _bundled_keys() -> tuple[list[str], list[str]]:
    table = default_table()
    return list(table["parameter"]), list(table["key"])


def _problem(message: str, line: int | None, field: str, value: object, expected: str,
             file: str, hint: str | None = None) -> Problem:
    return Problem(message, file=file, line=line, field=field, value=value, expected=expected,
                   hint=hint)


def _validate(table: pd.DataFrame, net: CompiledNetwork, file: str) -> pd.DataFrame:
    missing = [c for c in _COLUMNS if c not in table.columns]
    if missing:
        raise InputError(Problem("missing columns", file=file, value=missing,
                                 expected=", ".join(_COLUMNS)))
    short = {s.split(".")[-1] for s in net.sectors} | set(net.sector_names)
    # keys of the bundled table may name commodities or sectors a smaller world lacks (toy,
    # base-2010): such rows do not apply there, they are not errors
    bundled = {(str(n), str(k)) for n, k in zip(*_bundled_keys(), strict=True)}
    problems: list[Problem] = []
    values: list[float] = []
    columns = [[str(x) for x in table[col].tolist()] for col in ("parameter", "scope", "key",
                                                                  "value")]
    for i, (name, row_scope, key, raw) in enumerate(zip(*columns, strict=True)):
        line = i + 2
        if name not in PARAMETERS:
            problems.append(_problem("unknown parameter", line, "parameter", name,
                                     "a parameter id of docs/model.md", file,
                                     did_you_mean(name, PARAMETERS) or None))
            values.append(math.nan)
            continue
        scope, lo, hi = PARAMETERS[name]
        if row_scope not in scope.split("|"):
            problems.append(_problem(f"wrong scope for {name}", line, "scope", row_scope, scope,
                                     file))
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (lo <= value <= hi):
            problems.append(_problem(f"{name} out of range", line, "value", raw,
                                     f"a number in [{lo:g}, {hi:g}]", file))
        values.append(value)
        if key == "*" or (name, key) in bundled:
            continue
        if row_scope == "commodity" and key not in net.commodities:
            problems.append(_problem(f"unknown commodity for {name}", line, "key", key,
                                     "a commodity id of the dataset", file,
                                     did_you_mean(key, net.commodities) or None))
        elif row_scope in ("sector_commodity", "stage_commodity"):
            left, _, right = key.partition(":")
            pool = short | set(net.sectors) if row_scope == "sector_commodity" else set(STAGES)
            if left not in pool and left != "*":
                problems.append(_problem(f"unknown {row_scope.split('_')[0]} for {name}", line,
                                         "key", key, "sector:commodity or stage:commodity",
                                         file, did_you_mean(left, pool) or None))
            if right not in net.commodities:
                problems.append(_problem(f"unknown commodity for {name}", line, "key", key,
                                         "a commodity id of the dataset", file,
                                         did_you_mean(right, net.commodities) or None))
        elif row_scope == "stage" and key not in STAGES:
            problems.append(_problem(f"unknown stage for {name}", line, "key", key,
                                     "one of " + ", ".join(STAGES), file,
                                     did_you_mean(key, STAGES) or None))
    if problems:
        raise InputError(problems, title=f"invalid market parameters in {file}")
    out = table.loc[:, list(_COLUMNS)].copy()
    out["value"] = values
    for name, (scope, _, _) in PARAMETERS.items():
        if scope in ("global", "commodity", "stage") and not (
                (out["parameter"] == name) & (out["key"] == "*")).any():
            raise InputError(Problem(f"missing default row for {name}", file=file,
                                     field="parameter", value=name,
                                     expected=f"a row with key '*' (scope {scope})"))
    return out


def _apply_overrides(table: pd.DataFrame, overrides: Mapping[str, float]) -> pd.DataFrame:
    rows = []
    for spec, value in overrides.items():
        name, _, key = spec.partition(":")
        if name not in PARAMETERS:
            raise InputError(Problem("unknown parameter", field="overrides", value=name,
                                     expected="a parameter id of docs/model.md",
                                     hint=did_you_mean(name, PARAMETERS) or None))
        scope = PARAMETERS[name][0].split("|")[0]
        if key.count(":") and scope == "commodity":
            scope = "sector_commodity"
        if name == "substitution_cap" and key.split(":")[0] in STAGES:
            scope = "stage_commodity"
        rows.append({"parameter": name, "scope": scope, "key": key or "*", "value": str(value),
                     "unit": "", "meaning": "override", "source": "user override",
                     "confidence": ""})
    extra = pd.DataFrame(rows, columns=list(_COLUMNS))
    return pd.concat([table.astype(str), extra], ignore_index=True)


def market_pairs(net: CompiledNetwork) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Sector-commodity pairs in the engine's order: ``(pair_sector, pair_c, sec_ptr, sec_pair)``.

    Identical to ``SimModel.sc_sector``, ``sc_c``, ``sec_ptr`` and ``sec_sc`` of
    :func:`spigot.sim.build.model.build_model`: pairs with ``bom > 0`` and ``output > 0``, sector-major.
    """
    S, C = net.bom.shape
    sc = [(s, c) for s in range(S) for c in range(C) if net.bom[s, c] > 0 and net.sector_output[s] > 0]
    pair_sector = np.array([s for s, _ in sc], dtype=np.int64)
    pair_c = np.array([c for _, c in sc], dtype=np.int64)
    sec_ptr = np.zeros(S + 1, dtype=np.int64)
    np.add.at(sec_ptr, pair_sector + 1, 1)
    sec_ptr = np.cumsum(sec_ptr).astype(np.int64)
    return pair_sector, pair_c, sec_ptr, np.arange(len(sc), dtype=np.int64)


class _Lookup:
    """Values by (parameter, key); later rows (overrides) win; ``*`` is the fallback."""

    def __init__(self, table: pd.DataFrame) -> None:
        self._values = {(str(n), str(k)): float(v) for n, k, v in
                        zip(table["parameter"], table["key"], table["value"], strict=True)}

    def __call__(self, name: str, key: str) -> float:
        value = self._values.get((name, key))
        if value is None:
            value = self._values.get((name, "*"), 0.0)
        return value


#: ``use_floor_step`` of a use without a dated thrift (never reached).
_NO_FLOOR = 2**62


def _by_sector_commodity(table: pd.DataFrame, name: str) -> dict[tuple[str, str], float]:
    """Values of a ``sector_commodity`` parameter by ``(sector, commodity)`` (the ``*`` row,
    0, is the default and is left out)."""
    rows = table[(table["parameter"] == name) & (table["key"] != "*")]
    out: dict[tuple[str, str], float] = {}
    for key, value in zip(rows["key"], rows["value"], strict=True):
        left, _, right = str(key).partition(":")
        out[(left, right)] = float(value)
    return out


def _log_trigger(value: float) -> float:
    """Log of a price trigger; 0 (off) becomes +inf, which no log price reaches."""
    return math.log(value) if value > 0 else math.inf


def _rate(weeks: float, step_weeks: float) -> float:
    return 1.0 - math.exp(-step_weeks / weeks)


def _value_shares(recipe: FloatArray, price: FloatArray) -> FloatArray:
    """Each row's shares of ``recipe x price`` (t per t of activity x USD/t): (N, C), rows
    summing to 1, or 0 where a node has no such flow."""
    value = np.asarray(recipe, dtype=float) * price
    total = value.sum(axis=1, keepdims=True)
    return np.divide(value, total, out=np.zeros_like(value), where=total > 0)


def _csr(share: FloatArray) -> tuple[IntArray, IntArray]:
    """Row pointers and column indices (ascending) of the positive entries of ``share`` (N, C):
    the terms the margin rule sums per node, so it skips the zeros."""
    rows, cols = np.nonzero(share > 0)
    ptr = np.zeros(share.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=share.shape[0]), out=ptr[1:])
    return ptr, cols.astype(np.int64)


def load_market_params(net: CompiledNetwork, path: str | Path | None = None,
                       overrides: Mapping[str, float] | None = None) -> MarketParams:
    """Read, validate and align the market parameters to ``net``.

    Parameters
    ----------
    net
        The compiled network (its ``step_weeks`` sets the per-step conversions).
    path
        A parameter table in the format of the bundled ``parameters.csv``; default: the bundled
        table.
    overrides
        ``{"parameter": value}`` or ``{"parameter:key": value}`` replacing table values (for
        sensitivity runs), e.g. ``{"price_adjust_speed": 0.3}`` or
        ``{"substitution_cap:wind:ndfeb_magnet": 0.5}``.

    Raises
    ------
    InputError
        If a row names an unknown parameter, commodity, sector or stage, a value is not a number
        in its range, a default row is missing, or the thresholds are inconsistent; the message
        names the parameter, the line and the bad value.
    """
    if path is None:
        table, file = default_table(), _FILE
    else:
        file = str(path)
        table = read_csv_table(path, [str(c) for c in default_table().columns],
                               field="market.parameters",
                               what="a parameter table (CSV with the columns of spigot's "
                                    "parameters.csv)")
    if overrides:
        table = _apply_overrides(table, overrides)
    table = _validate(table, net, file)
    lookup = _Lookup(table)
    g = {name: lookup(name, "*") for name, (scope, _, _) in PARAMETERS.items()
         if scope == "global"}
    for lo_name, hi_name in (("substitution_price_on", "substitution_price_full"),
                             ("recycling_price_on", "recycling_price_full")):
        if not g[lo_name] < g[hi_name]:
            raise InputError(Problem(f"{lo_name} must be below {hi_name}", file=file,
                                     field=lo_name, value=g[lo_name],
                                     expected=f"< {g[hi_name]:g}"))
    if not g["project_delay_min_years"] <= g["project_delay_mode_years"] <= g[
            "project_delay_max_years"]:
        raise InputError(Problem("project delays must satisfy min <= mode <= max", file=file,
                                 field="project_delay_mode_years",
                                 value=(g["project_delay_min_years"],
                                        g["project_delay_mode_years"],
                                        g["project_delay_max_years"])))
    sw = float(net.step_weeks)
    Z, C = len(ZONES), len(net.commodities)
    S, N, K = len(net.sectors), len(net.nodes), len(net.routes)
    R = len(net.regions)
    node_zone = net.region_zone[net.node_region].astype(np.int64)
    sector_zone = net.region_zone[net.sector_region].astype(np.int64)

    # ---- base prices: fill unknown ones from the other zone (base ratio 0.88) or 1 USD/t
    price = np.array(net.price, dtype=float).T  # (Z, C); the network stores (C, Z)
    known = np.isfinite(price) & (price > 0)
    p0 = price.copy()
    china, ex = ZONES.index("china"), ZONES.index("ex_china")
    for c in range(C):
        if known[china, c] and not known[ex, c]:
            p0[ex, c] = p0[china, c] / 0.88
        elif known[ex, c] and not known[china, c]:
            p0[china, c] = p0[ex, c] * 0.88
        elif not known[:, c].any():
            p0[:, c] = 1.0

    # ---- base use and the engine's initial stock per zone
    use0 = np.zeros((Z, C))
    stock0 = np.zeros((Z, C))
    sector_use = net.sector_output[:, None] * net.bom  # (S, C)
    cover = net.sector_cover_steps
    node_cover = NODE_COVER_WEEKS / sw
    for s in range(S):
        use0[sector_zone[s]] += sector_use[s]
        stock0[sector_zone[s]] += sector_use[s] * cover[s]
    node_use = net.node_base_activity[:, None] * net.recipe_in  # (N, C)
    for n in range(N):
        use0[node_zone[n]] += node_use[n]
        stock0[node_zone[n]] += node_use[n] * node_cover
    cover_target = np.divide(stock0, use0, out=np.zeros_like(stock0), where=use0 > 0)
    world = use0.sum(axis=0)
    zone_share = np.where(world > 0, use0 / np.where(world > 0, world, 1.0), 0.5)

    def per_c(name: str) -> FloatArray:
        return np.array([lookup(name, c) for c in net.commodities], dtype=float)

    # ---- demand: pairs and substitution uses
    pair_sector, pair_c, sec_ptr, sec_pair = market_pairs(net)
    bill = np.array([sector_use[s, c] * p0[sector_zone[s], c]
                     for s, c in zip(pair_sector, pair_c, strict=True)], dtype=float)
    pair_weight = np.zeros(len(pair_c))
    for s in range(S):
        a, b = sec_ptr[s], sec_ptr[s + 1]
        total = bill[a:b].sum()
        if b > a:
            pair_weight[a:b] = bill[a:b] / total if total > 0 else 1.0 / (b - a)
    elasticity = np.minimum(np.asarray(net.sector_elasticity, dtype=float), 0.0)
    groups_by_key: dict[tuple[object, ...], int] = {}
    plan_group = np.zeros(S, dtype=np.int64)
    g_zone: list[int] = []
    g_eps: list[float] = []
    g_entries: list[list[tuple[int, float]]] = []
    for s in range(S):
        a, b = sec_ptr[s], sec_ptr[s + 1]
        entries = [(int(c), float(w)) for c, w in zip(pair_c[a:b], pair_weight[a:b], strict=True)]
        key = (int(sector_zone[s]), float(elasticity[s]),
               tuple((c, round(w, 12)) for c, w in entries))  # equal to 1e-12: one group
        if key not in groups_by_key:
            groups_by_key[key] = len(g_zone)
            g_zone.append(int(sector_zone[s]))
            g_eps.append(float(elasticity[s]))
            g_entries.append(entries)
        plan_group[s] = groups_by_key[key]
    group_ptr = np.zeros(len(g_zone) + 1, dtype=np.int64)
    group_ptr[1:] = np.cumsum([len(e) for e in g_entries])
    entry_c = np.array([c for e in g_entries for c, _ in e], dtype=np.int64)
    entry_w = np.array([w for e in g_entries for _, w in e], dtype=float)
    names = net.sector_names or tuple(x.split(".")[-1] for x in net.sectors)
    kinds: list[int] = []
    items: list[int] = []
    ucs: list[int] = []
    zones: list[int] = []
    caps: list[float] = []
    sub = table[table["parameter"] == "substitution_cap"]
    sector_caps: dict[tuple[str, str], float] = {}
    stage_caps: dict[tuple[str, str], float] = {}
    for key, value, scope in zip(sub["key"], sub["value"], sub["scope"], strict=True):
        left, _, right = str(key).partition(":")
        (sector_caps if scope == "sector_commodity" else stage_caps)[(left, right)] = float(value)
    floors, floor_weeks = _by_sector_commodity(table, "substitution_floor"), _by_sector_commodity(
        table, "substitution_floor_week")
    floor_of: list[float] = []
    floor_at: list[int] = []
    for q, (s, c) in enumerate(zip(pair_sector, pair_c, strict=True)):
        cname = net.commodities[c]
        cap = sector_caps.get((net.sectors[s], cname), sector_caps.get((names[s], cname), 0.0))
        floor = floors.get((net.sectors[s], cname), floors.get((names[s], cname), 0.0))
        if cap > 0 or floor > 0:  # a use with a floor only exists in a mitigated run
            kinds.append(0)
            items.append(q)
            ucs.append(int(c))
            zones.append(int(sector_zone[s]))
            caps.append(cap)
            week = floor_weeks.get((net.sectors[s], cname), floor_weeks.get((names[s], cname),
                                                                             0.0))
            floor_of.append(floor)
            floor_at.append(round(week / sw) if floor > 0 else _NO_FLOOR)
    for n in range(N):
        stage = STAGES[int(net.node_stage[n])]
        for c in range(C):
            if net.recipe_in[n, c] <= 0:
                continue
            cap = stage_caps.get((stage, net.commodities[c]), 0.0)
            if cap > 0:
                kinds.append(1)
                items.append(n)
                ucs.append(c)
                zones.append(int(node_zone[n]))
                caps.append(cap)

    # ---- supply: node kinds, main outputs, qualification, route weights
    status = [STATUSES[int(x)] for x in net.node_status]
    node_kind = np.array([KIND_PROJECT if st in ("planned", "ramping", "committed") else
                          KIND_IDLE if st == "idle" else KIND_FIXED for st in status],
                         dtype=np.int64)
    usable = np.isin(net.node_status, [STATUSES.index("operating"), STATUSES.index("ramping")])
    node_usable = np.where(usable, np.maximum(net.node_capacity, net.node_base_activity), 0.0)
    node_ref_c = np.full(N, -1, dtype=np.int64)
    for n in range(N):
        value = net.recipe_out[n] * p0[node_zone[n]]
        if value.max() > 0:
            node_ref_c[n] = int(np.argmax(value))
    qual_steps = np.array([
        round(lookup("qualification_weeks", STAGES[int(net.node_stage[n])]) / sw)
        for n in range(N)], dtype=np.int64)
    restart_ok = (node_kind == KIND_IDLE) & (node_zone != EXPORTER_ZONE)
    margin_out_share = _value_shares(net.recipe_out, p0[node_zone])
    margin_in_share = _value_shares(net.recipe_in, p0[node_zone])
    route_weight = np.zeros(K)
    groups: dict[tuple[int, int], list[int]] = {}
    for k in range(K):
        groups.setdefault((int(net.route_origin[k]), int(net.route_commodity[k])), []).append(k)
    for ks in groups.values():
        base = net.route_base_flow[ks]
        route_weight[ks] = base / base.sum() if base.sum() > 0 else 1.0 / len(ks)
    route_to_region = np.asarray(net.route_dest_node < 0, dtype=bool)

    # ---- recycling pairs: regions with use of a commodity that has a recycling share
    share = per_c("recycling_share")
    region_use = np.zeros((R, C))
    np.add.at(region_use, net.sector_region, sector_use)
    np.add.at(region_use, net.node_region, node_use)
    rp = [(r, c) for r in range(R) for c in range(C) if region_use[r, c] > 0 and share[c] > 0]
    rp_region = np.array([r for r, _ in rp], dtype=np.int64)
    rp_c = np.array([c for _, c in rp], dtype=np.int64)

    # ---- region buffers (regions whose sectors use the commodity)
    rs_use = np.zeros((R, C))
    np.add.at(rs_use, net.sector_region, sector_use)
    rb = [(r, c) for r in range(R) for c in range(C) if rs_use[r, c] > 0]
    buf_region = np.array([r for r, _ in rb], dtype=np.int64)

    return MarketParams(
        step_weeks=sw, table=table,
        p0=p0, price_known=known, use0=use0, stock0=stock0, cover_target=cover_target,
        zone_share=zone_share, inv_flex=per_c("price_inv_flexibility"),
        log_cap=np.log(per_c("price_cap_multiple")), log_floor=np.log(per_c("price_floor_multiple")),
        speed=1.0 - (1.0 - g["price_adjust_speed"]) ** sw, band=g["arbitrage_band"],
        arb_strength=g["arbitrage_strength"],
        use_kind=np.array(kinds, dtype=np.int64), use_item=np.array(items, dtype=np.int64),
        use_c=np.array(ucs, dtype=np.int64), use_zone=np.array(zones, dtype=np.int64),
        use_cap=np.array(caps, dtype=float),
        subst_log_on=math.log(g["substitution_price_on"]),
        subst_log_full=math.log(g["substitution_price_full"]),
        adopt_rate=_rate(g["substitution_adopt_weeks"], sw),
        revert_rate=_rate(g["substitution_revert_weeks"], sw),
        pair_sector=pair_sector, pair_c=pair_c, pair_weight=pair_weight, sec_ptr=sec_ptr,
        sec_pair=sec_pair, sector_zone=sector_zone,
        sector_elasticity=elasticity, plan_group=plan_group,
        group_zone=np.array(g_zone, dtype=np.int64), group_elasticity=np.array(g_eps),
        group_ptr=group_ptr, entry_c=entry_c, entry_w=entry_w,
        plan_floor=g["demand_plan_floor"],
        node_zone=node_zone, node_ref_c=node_ref_c, node_kind=node_kind,
        node_capacity=np.asarray(net.node_capacity, dtype=float),
        node_base=np.asarray(net.node_base_activity, dtype=float), node_usable=node_usable,
        node_ramp_steps=np.asarray(net.node_ramp_steps, dtype=float),
        node_start_year=np.asarray(net.node_start_year, dtype=float),
        restart_ok=restart_ok, qual_steps=qual_steps, log_restart=math.log(g["restart_price"]),
        restart_lag=max(1, round(g["restart_lag_weeks"] / sw)),
        restart_ramp=g["restart_ramp_weeks"] / sw,
        delay_min=g["project_delay_min_years"], delay_mode=g["project_delay_mode_years"],
        delay_max=g["project_delay_max_years"],
        margin_out_share=margin_out_share, margin_in_share=margin_in_share,
        margin_out_ptr=_csr(margin_out_share)[0], margin_out_c=_csr(margin_out_share)[1],
        margin_in_ptr=_csr(margin_in_share)[0], margin_in_c=_csr(margin_in_share)[1],
        margin_elasticity=g["project_margin_elasticity"],
        fixed_margin_elasticity=g["plant_margin_elasticity"],
        fill_rate=_rate(g["supplier_fill_weeks"], sw),
        joint_smooth_rate=(_rate(g["separator_smoothing_weeks"], sw)
                           if g["separator_smoothing_weeks"] > 0 else 1.0),
        joint_workoff_rate=(sw / g["separator_smoothing_weeks"]
                            if g["separator_smoothing_weeks"] > 0 else 0.0),
        route_weight=route_weight, route_base=np.asarray(net.route_base_flow, dtype=float),
        route_to_region=route_to_region,
        route_responsive=np.flatnonzero(node_kind[net.route_origin] != KIND_FIXED).astype(np.int64),
        rp_region=rp_region, rp_c=rp_c,
        rp_zone=net.region_zone[rp_region].astype(np.int64) if len(rp) else rp_region.copy(),
        rp_capacity=np.array([region_use[r, c] * share[c] for r, c in rp], dtype=float),
        recycle_rate=_rate(g["recycling_lag_weeks"], sw),
        recycle_log_on=math.log(g["recycling_price_on"]),
        recycle_log_full=math.log(g["recycling_price_full"]),
        pile_zone=net.region_zone[net.stock_holder].astype(np.int64),
        pile_c=np.asarray(net.stock_commodity, dtype=np.int64),
        pile_log_trigger=np.array([_log_trigger(own) if own > 0 else
                                   _log_trigger(g["stockpile_price_trigger"])
                                   for own in net.stock_release_above_price], dtype=float),
        buf_region=buf_region, buf_c=np.array([c for _, c in rb], dtype=np.int64),
        buf_zone=net.region_zone[buf_region].astype(np.int64) if len(rb) else buf_region.copy(),
        safety_extra=g["safety_stock_extra"],
        safety_log_trigger=_log_trigger(g["safety_stock_trigger_price"]),
        safety_up_rate=_rate(g["safety_stock_up_weeks"], sw),
        safety_down_rate=_rate(g["safety_stock_down_weeks"], sw),
        cover_dispersion=float(g["cover_dispersion"]), plant_classes=round(g["plant_classes"]),
        use_floor=np.array(floor_of + [0.0] * (len(caps) - len(floor_of)), dtype=float),
        use_floor_step=np.array(floor_at + [_NO_FLOOR] * (len(caps) - len(floor_at)),
                                dtype=np.int64),
        node_committed=np.array([st == "committed" for st in status], dtype=bool),
    )

