r"""Market concentration per commodity and stage: shares, HHI, normalised HHI, CR-k, top supplier.

Equations (shares :math:`s_i` as fractions of world production, :math:`N` listed producers):

.. math::

    HHI = \sum_i s_i^2 \quad (0\text{–}1), \qquad HHI_{points} = 10\,000 \cdot HHI,

    HHI^* = \frac{HHI - 1/N}{1 - 1/N} \quad (N > 1;\ HHI^* = 1 \text{ if } N = 1),

    CR_k = \sum_{i \le k} s_{(i)} \quad (s_{(1)} \ge s_{(2)} \ge \dots).

Reference: Herfindahl (1950), Hirschman (1964); the US DOJ/FTC Horizontal Merger Guidelines
(2023) use the 0–10,000 point scale (above 1,800 points = highly concentrated). Worked examples
are in ``docs/metrics.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from spigot.errors import InputError, Problem, UnknownNameError
from spigot.network import SupplyNetwork
from spigot.network.statistics import production_shares
from spigot.risk._common import (
    STAGE_ORDER,
    commodity_groups,
    memo,
    resolve_commodity,
    shared_table,
    tidy,
)

#: Region ids that always stand for several countries together.
AGGREGATES = frozenset({"ROW", "EU_OTHER", "WLD"})

__all__ = ["CONCENTRATION_UNITS", "concentration", "concentration_indices", "hhi", "stage_shares",
           "statistics_years"]

REFERENCE = ("Herfindahl-Hirschman index (Herfindahl 1950; Hirschman 1964); point scale and "
             "thresholds: US DOJ/FTC Merger Guidelines 2023; CR-k: concentration ratio of the k "
             "largest suppliers")

#: Units of the columns of :func:`concentration`.
CONCENTRATION_UNITS: dict[str, str] = {
    "hhi": "1 (0-1)", "hhi_points": "points (0-10,000)", "hhi_normalised": "1 (0-1)",
    "cr1": "fraction of world production", "cr3": "fraction of world production",
    "top_share": "fraction of world production", "coverage": "fraction of world production",
    "n_producers": "count",
}


def _check_shares(shares: ArrayLike) -> np.ndarray:
    values = np.asarray(shares, dtype=float)
    if values.ndim != 1:
        raise InputError(Problem("shares must be one-dimensional", field="shares",
                                 value=values.shape, expected="a 1-D sequence of fractions"))
    values = values[np.isfinite(values)]
    if (values < 0).any() or values.sum() > 1 + 1e-6:
        raise InputError(Problem("invalid shares", field="shares", value=values.tolist(),
                                 expected="fractions >= 0 that sum to at most 1"))
    return values


def hhi(shares: ArrayLike) -> float:
    r"""Herfindahl-Hirschman index :math:`HHI = \sum_i s_i^2` on the 0-1 scale.

    Parameters
    ----------
    shares
        Market shares as fractions (0-1); NaN are ignored. They may sum to less than 1 when small
        producers are not listed: the unlisted remainder is then treated as atomistic (it adds
        nothing), so the index is a lower bound.

    Returns
    -------
    float
        The index, 0-1 (multiply by 10,000 for points).

    Raises
    ------
    InputError
        If a share is negative or the shares sum to more than 1.

    Examples
    --------
    >>> round(hhi([0.7, 0.2, 0.1]), 6)
    0.54
    """
    values = _check_shares(shares)
    return float(np.sum(values**2))


def concentration_indices(shares: pd.Series) -> dict[str, object]:
    """All concentration indices of one market.

    Parameters
    ----------
    shares
        Shares (fractions) indexed by supplier (region id).

    Returns
    -------
    dict
        ``hhi``, ``hhi_points``, ``hhi_normalised``, ``cr1``, ``cr3``, ``n_producers``,
        ``top_supplier``, ``top_share``, ``coverage`` (sum of listed shares).
    """
    clean = shares[np.isfinite(shares.to_numpy(dtype=float))].astype(float)
    clean = clean[clean > 0].sort_values(ascending=False)
    value = hhi(clean.to_numpy())
    n = len(clean)
    normalised = 1.0 if n == 1 else (value - 1 / n) / (1 - 1 / n) if n > 1 else float("nan")
    return {
        "hhi": value,
        "hhi_points": value * 10_000,
        "hhi_normalised": max(0.0, normalised) if np.isfinite(normalised) else normalised,
        "cr1": float(clean.iloc[:1].sum()),
        "cr3": float(clean.iloc[:3].sum()),
        "n_producers": n,
        "top_supplier": str(clean.index[0]) if n else "",
        "top_share": float(clean.iloc[0]) if n else float("nan"),
        "coverage": float(clean.sum()),
    }


def stage_shares(net: SupplyNetwork, commodity: str | None = None, stage: str | None = None,
                 year: int | None = None) -> pd.DataFrame:
    """Supplier shares per (commodity, stage), from the statistics and, failing that, the network.

    The ``production`` table (published statistics) is used where it has the (commodity, stage);
    for other stages the shares are those of the base-year output of the network's nodes whose
    recipes make a commodity of the group (``source`` says ``network nodes``).

    Parameters
    ----------
    net
        The world.
    commodity
        A commodity id or group; all if ``None``.
    stage
        A stage; all if ``None``.
    year
        Year of the statistics: exactly this year. A (commodity, stage) whose statistics have no
        row of ``year`` is left out (never replaced by another year or by node outputs) and
        listed in ``attrs["missing"]`` as ``{"commodity", "stage", "input": "production",
        "year", "years_available"}``. The latest year per (commodity, stage) if ``None``.

    Returns
    -------
    pandas.DataFrame
        ``commodity, stage, region, year, value, share, source, aggregate``; shares are
        fractions. ``aggregate`` marks rows of aggregate regions (``ROW``, ``EU_OTHER``): several
        countries together, which the indices treat as atomistic (they are left out of the HHI).
        Where the listed rows sum to more than 1 (the countries a statistic lists can exceed its
        rounded world total), the shares are rescaled to sum to 1.

    Raises
    ------
    UnknownNameError
        For an unknown commodity or stage, when nothing is known about them, or when no
        (commodity, stage) asked for has statistics of ``year`` (naming the years that have).
    """
    key = f"stage_shares:{commodity}:{stage}:{year}"
    return memo(net, key, lambda: _stage_shares(net, commodity, stage, year)).copy()


def statistics_years(net: SupplyNetwork) -> dict[tuple[str, str], list[int]]:
    """Years of the ``production`` statistics per (commodity, stage)."""
    def compute() -> dict[tuple[str, str], list[int]]:
        stats = shared_table(net, "production")
        out: dict[tuple[str, str], set[int]] = {}
        for c, s, y in zip(stats["commodity"], stats["stage"], stats["year"], strict=True):
            out.setdefault((str(c), str(s)), set()).add(int(y))
        return {k: sorted(v) for k, v in out.items()}

    return dict(memo(net, "statistics_years", compute))


def _stage_shares(net: SupplyNetwork, commodity: str | None, stage: str | None,
                  year: int | None) -> pd.DataFrame:
    if commodity is not None:
        resolve_commodity(net, commodity)
    if stage is not None and stage not in STAGE_ORDER:
        raise UnknownNameError("stage", stage, STAGE_ORDER, field="stage")
    stats = shared_table(net, "production")
    frames = []
    missing: list[dict[str, object]] = []
    for (comm, stg), years in sorted(statistics_years(net).items()):
        if (commodity is not None and comm != commodity) or (stage is not None and stg != stage):
            continue
        if year is not None and year not in years:
            missing.append({"commodity": comm, "stage": stg, "input": "production",
                            "year": year, "years_available": years})
            continue
        shares = production_shares(net, comm, stg, years[-1] if year is None else year)
        frames.append(shares[["commodity", "stage", "region", "year", "value", "share",
                              "source"]])
    # node outputs only where the statistics have nothing for the (commodity, stage) at all
    have = {(str(c), str(s)) for c, s in zip(stats["commodity"], stats["stage"], strict=True)}
    node_rows = _node_shares(net, commodity, stage)
    if len(node_rows):
        keep = [(c, s) not in have for c, s in zip(node_rows["commodity"], node_rows["stage"],
                                                     strict=True)]
        frames.append(node_rows[keep])
    frames = [f for f in frames if len(f)]
    if not frames and missing:
        available = sorted({y for c, s in statistics_years(net).items()
                            if (commodity is None or c[0] == commodity)
                            and (stage is None or c[1] == stage) for y in s})
        raise UnknownNameError(f"year of the production statistics of {commodity or 'any commodity'}"
                               f"/{stage or 'any stage'}", year, [str(y) for y in available],
                               field="year")
    if not frames:
        raise UnknownNameError(f"statistics for commodity {commodity!r}",
                               stage or "any stage", sorted(set(stats["stage"])), field="stage")
    out = pd.concat(frames, ignore_index=True)
    regions = shared_table(net, "regions")
    aggregates = {str(r) for r, k in zip(regions["id"], regions["kind"], strict=True)
                  if k == "aggregate"} | AGGREGATES
    out["aggregate"] = out["region"].astype(str).isin(aggregates)
    total = out.groupby(["commodity", "stage"])["share"].transform("sum")
    out["share"] = np.where(total > 1 + 1e-9, out["share"] / total.where(total > 0, 1),
                            out["share"])
    out["stage_rank"] = out["stage"].map({s: i for i, s in enumerate(STAGE_ORDER)})
    out = out.sort_values(["commodity", "stage_rank", "share"], ascending=[True, True, False])
    return tidy(out.drop(columns="stage_rank"),
                {"value": "t/yr (basis of the commodity)", "share": "fraction of world"},
                "production statistics of the dataset; node outputs where none are published",
                missing=missing)


def _node_shares(net: SupplyNetwork, commodity: str | None, stage: str | None) -> pd.DataFrame:
    """Shares of the base-year node output per (group, stage) by region."""
    nodes = shared_table(net, "nodes")
    recipes = shared_table(net, "recipes")
    if not len(nodes) or not len(recipes):
        return pd.DataFrame(columns=["commodity", "stage", "region", "year", "value", "share",
                                     "source"])
    groups = commodity_groups(net)
    outputs = recipes.loc[recipes["role"] == "output", ["recipe", "commodity"]].copy()
    outputs["commodity"] = [groups.get(str(c), str(c)) for c in outputs["commodity"]]
    outputs = outputs.drop_duplicates()
    made = nodes[["recipe", "stage", "region", "year", "output"]].merge(outputs, on="recipe")
    frame = pd.DataFrame({"commodity": made["commodity"].astype(str),
                          "stage": made["stage"].astype(str),
                          "region": made["region"].astype(str), "year": made["year"],
                          "value": made["output"].astype(float)})
    if commodity is not None:
        group = groups.get(commodity, commodity)
        frame = frame[frame["commodity"] == group].assign(commodity=commodity) \
            if commodity not in set(frame["commodity"]) else frame[frame["commodity"] == commodity]
    if stage is not None:
        frame = frame[frame["stage"] == stage]
    if not len(frame):
        return pd.DataFrame(columns=["commodity", "stage", "region", "year", "value", "share",
                                     "source"])
    frame = frame.groupby(["commodity", "stage", "region"], as_index=False).agg(
        year=("year", "max"), value=("value", "sum"))
    totals = frame.groupby(["commodity", "stage"])["value"].transform("sum")
    frame["share"] = np.where(totals > 0, frame["value"] / totals.where(totals > 0, 1), np.nan)
    frame = frame[frame["value"] > 0]
    frame["source"] = "network nodes (base-year output)"
    return frame


def concentration(net: SupplyNetwork, commodity: str | None = None, stage: str | None = None,
                  year: int | None = None) -> pd.DataFrame:
    """Concentration indices per commodity and stage.

    Parameters
    ----------
    net
        The world; its ``production`` statistics (and node outputs where none are published).
    commodity, stage, year
        Filters as in :func:`stage_shares`.

    Returns
    -------
    pandas.DataFrame
        One row per (commodity, stage): ``commodity, stage, year, hhi, hhi_points,
        hhi_normalised, cr1, cr3, n_producers, top_supplier, top_share, coverage, source``;
        units in ``attrs["units"]``, equations' reference in ``attrs["reference"]``.

    Examples
    --------
    >>> import spigot as sp
    >>> from spigot.risk import concentration
    >>> concentration(sp.datasets.load("toy"), "rare_earths", "mining")["hhi"].round(4).tolist()
    [0.7222]
    """
    shares = stage_shares(net, commodity, stage, year)
    rows = []
    for (comm, stg), block in shares.groupby(["commodity", "stage"], sort=False):
        countries = block[~block["aggregate"]]
        indices = concentration_indices(countries.set_index("region")["share"])
        rows.append({"commodity": comm, "stage": stg, "year": int(block["year"].max()),
                     **indices, "source": "; ".join(sorted({str(s) for s in block["source"]}))})
    return tidy(pd.DataFrame(rows), CONCENTRATION_UNITS, REFERENCE,
                missing=list(shares.attrs.get("missing", [])))
