"""Build ``src/spigot/risk/data/eu_crm_2023_sourcing.csv``: the shares behind the EU 2023 SR.

Run once by a developer with the project's venv (``python tools/build_eu_2023_inputs.py``).

The EU's 2023 assessment (EC 2023, doi:10.2873/725585; method: EC 2017 guidelines,
doi:10.2873/769526) computes each stage's SR from two sets of country shares: global supply (GS)
and EU sourcing (EU production plus imports into the EU), both averaged over 2016-2020. Of these
only some global-supply shares at processing are published in spigot's sources (LREE, HREE,
germanium: ``eu_crm_2023_shares.csv``). The others are rebuilt here from primary data for the
nearest years available, and every row says how:

* **GS, published** (``source`` = the annex transcription): LREE, HREE and germanium at
  processing; Nd uses LREE's, Dy HREE's.
* **GS, World Mining Data 2018-2020 mean** (``../shared/data/wmd``): rare earths (REO) at
  extraction for Nd, Dy, LREE and HREE; gallium (primary refined output: the processing stage);
  natural graphite, antimony and tungsten at extraction. The processing stages of tungsten (APT,
  oxide, metal) and antimony (metal, trioxide) have no country statistics in spigot's sources:
  their mine shares stand in (flagged).
* **EU sourcing** = EU production plus imports. Its split is taken from the published import
  reliance IR of the stage, IR = imports / (production + imports) without exports: a share
  ``1 - IR`` of EU production (one entry ``EU27``, scored with the mean WGI of the member states
  in spigot's WGI table; the EU scores each producing member state, unknown here) and a share
  ``IR`` split by partner like the EU27's extra-EU imports in BACI 2017-2020 (CEPII BACI HS92, the
  codes below). Where the HS92 extract has no code for the stage (gallium; germanium after 2016),
  the global-supply shares split the imports (flagged).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spigot.risk.eu_supply_risk import EU27_MEMBERS

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DATA = ROOT / "src" / "spigot" / "risk" / "data"
OUT = DATA / "eu_crm_2023_sourcing.csv"

EU27 = list(EU27_MEMBERS)
WMD_YEARS = (2018, 2019, 2020)
BACI_YEARS = (2017, 2018, 2019, 2020)
REE_HS = ("284690", "284610", "280530")

#: (material, stage) -> (GS: "published:<group>" or "wmd:<table>", EU imports: HS codes or ()).
PLAN: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("Neodymium", "extraction"): ("wmd:Rare Earths (REO)", REE_HS),
    ("Neodymium", "processing"): ("published:LREE", REE_HS),
    ("Dysprosium", "extraction"): ("wmd:Rare Earths (REO)", REE_HS),
    ("Dysprosium", "processing"): ("published:HREE", REE_HS),
    ("LREE", "extraction"): ("wmd:Rare Earths (REO)", REE_HS),
    ("LREE", "processing"): ("published:LREE", REE_HS),
    ("HREE", "extraction"): ("wmd:Rare Earths (REO)", REE_HS),
    ("HREE", "processing"): ("published:HREE", REE_HS),
    ("Gallium", "processing"): ("wmd:Gallium", ()),
    ("Germanium", "processing"): ("published:Germanium", ()),
    ("Natural graphite", "extraction"): ("wmd:Graphite", ("250410", "250490")),
    ("Antimony", "extraction"): ("wmd:Antimony", ("261710",)),
    ("Antimony", "processing"): ("wmd:Antimony", ("261710",)),
    ("Tungsten", "extraction"): ("wmd:Tungsten (W)", ("261100",)),
    ("Tungsten", "processing"): ("wmd:Tungsten (W)", ("810110",)),
}
WMD_SOURCE = "World Mining Data (BMF Austria), mean of 2018-2020 (../shared/data/wmd)"
BACI_SOURCE = ("CEPII BACI HS92 (Gaulier & Zignago 2010), EU27 extra-EU imports (t), 2017-2020, "
               "HS {codes} (../shared/data/trade/baci)")


def _gs(spec: str, published: pd.DataFrame, wmd: pd.DataFrame) -> tuple[pd.Series, str, str]:
    kind, _, name = spec.partition(":")
    if kind == "published":
        rows = published[(published["material"] == name) & (published["stage"] == "processing")]
        return (rows.set_index("region")["share"].astype(float),
                str(rows["source"].iloc[0]), f"published {name} processing shares")
    rows = wmd[(wmd["commodity"] == name) & wmd["year"].isin(WMD_YEARS)]
    mean = rows.groupby("country_iso3")["value"].sum() / len(WMD_YEARS)
    mean = mean[mean > 0]
    return mean / mean.sum(), WMD_SOURCE, f"WMD {name}"


def _imports(codes: tuple[str, ...], baci: pd.DataFrame) -> pd.Series:
    rows = baci[baci["k"].isin(codes) & baci["t"].isin(BACI_YEARS) & baci["imp"].isin(EU27)
                & ~baci["exp"].isin(EU27)]
    total = rows.groupby("exp")["q"].sum()
    total = total[total > 0]
    return total / total.sum()


def build() -> pd.DataFrame:
    """The table, one row per (material, stage, scope, region)."""
    results = pd.read_csv(DATA / "eu_crm_2023_results.csv").set_index("material")
    published = pd.read_csv(DATA / "eu_crm_2023_shares.csv")
    wmd = pd.read_csv(SHARED / "wmd" / "world_mining_data_2018_2024.csv")
    wmd = wmd[wmd["country_iso3"] != "DELETE"]
    codes = pd.read_csv(SHARED / "trade" / "baci" / "country_codes.csv", dtype=str)
    iso = dict(zip(codes["country_code"].astype(int), codes["country_iso3"], strict=True))
    baci = pd.read_csv(SHARED / "trade" / "baci" / "baci_hs92_selected_2017_2024.csv",
                       dtype={"k": str})
    baci["exp"], baci["imp"] = baci["i"].map(iso), baci["j"].map(iso)
    rows: list[dict[str, object]] = []
    for (material, stage), (gs_spec, hs) in PLAN.items():
        gs, gs_source, gs_label = _gs(gs_spec, published, wmd)
        note = ""
        if stage == "processing" and gs_spec in {"wmd:Tungsten (W)", "wmd:Antimony"}:
            note = "no processing-stage statistics in spigot's sources: mine shares stand in"
        for region, share in gs.items():
            rows.append({"material": material, "stage": stage, "scope": "GS", "region": region,
                         "share": round(float(share), 6), "basis_of_shares": gs_label,
                         "source": gs_source, "note": note})
        ir = float(results.loc[material, f"ir_{stage}"])
        split = _imports(hs, baci) if hs else gs
        how = (f"IR x EU27 extra-EU import shares, BACI HS {'/'.join(hs)}" if hs else
               "IR x global-supply shares (no HS92 trade code for this stage in the extract)")
        source = BACI_SOURCE.format(codes="/".join(hs)) if hs else gs_source
        eu = (split * ir).to_dict()
        eu["EU27"] = eu.get("EU27", 0.0) + (1 - ir)
        for region, share in eu.items():
            if share <= 0:
                continue
            domestic = region == "EU27"
            rows.append({
                "material": material, "stage": stage, "scope": "EU", "region": region,
                "share": round(float(share), 6),
                "basis_of_shares": ("1 - IR (EU production; published IR)" if domestic
                                    else how),
                "source": ("EC (2023) published import reliance (eu_crm_2023_results.csv)"
                           if domestic else source),
                "note": ("EU production as one entry scored with the mean WGI of the member "
                         "states" if domestic else note)})
    return pd.DataFrame(rows)


def main() -> None:
    """Write the table."""
    build().to_csv(OUT, index=False)


if __name__ == "__main__":
    main()
