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
  ``1 - IR`` of EU production and a share ``IR`` split by partner like the EU27's extra-EU imports
  in BACI 2017-2020 (CEPII BACI HS92, the codes below). Where the HS92 extract has no code for the
  stage (gallium; germanium after 2016), the global-supply shares split the imports (flagged).
  EU production is split by member state, each a country of the HHI as in the EU method (issue
  #18): by the member states' output in World Mining Data 2018-2020 where WMD lists EU producers
  for the stage (tungsten and graphite mining), else by the member states named in the EU's 2020
  main-producers list (COM(2020)474; germanium: Finland; gallium: Germany, Hungary); where neither
  names a member state (rare earths, antimony processing, tungsten processing) it stays one entry
  ``EU27`` scored with the mean WGI of the member states (flagged: an upper bound of that part of
  the HHI).
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
#: (material, stage) -> stage-mismatch of the import codes (flagged in ``note``).
IMPORT_STAND_INS: dict[tuple[str, str], str] = {
    **{(m, "extraction"): ("EU imports of rare-earth ores are not in the extract (HS 2530 90 is "
                           "a basket): imports of rare-earth compounds and metals stand in")
       for m in ("Neodymium", "Dysprosium", "LREE", "HREE")},
    ("Antimony", "processing"): ("EU imports of antimony metal and oxides (HS 8110, 2825 80) are "
                                 "not in the extract: antimony-ore imports stand in"),
}
#: WMD table -> the EU stage its figures are output of.
WMD_STAGE = {"Rare Earths (REO)": "extraction", "Tungsten (W)": "extraction",
             "Antimony": "extraction", "Graphite": "extraction", "Gallium": "processing",
             "Germanium": "processing"}
#: EU material -> (WMD table, name in the 2020 main-producers list) for EU production by member state.
DOMESTIC: dict[str, tuple[str, str]] = {
    "Neodymium": ("Rare Earths (REO)", "Light Rare Earth Elements"),
    "LREE": ("Rare Earths (REO)", "Light Rare Earth Elements"),
    "Dysprosium": ("Rare Earths (REO)", "Heavy Rare Earth Elements"),
    "HREE": ("Rare Earths (REO)", "Heavy Rare Earth Elements"),
    "Gallium": ("Gallium", "Gallium"), "Germanium": ("Germanium", "Germanium"),
    "Natural graphite": ("Graphite", "Natural Graphite"), "Antimony": ("Antimony", "Antimony"),
    "Tungsten": ("Tungsten (W)", "Tungsten"),
}
#: Member-state names of the 2020 main-producers list -> ISO3.
MEMBER_NAMES = {"Austria": "AUT", "Belgium": "BEL", "Finland": "FIN", "France": "FRA",
                "Germany": "DEU", "Hungary": "HUN", "Portugal": "PRT", "Spain": "ESP",
                "Sweden": "SWE", "Italy": "ITA", "Poland": "POL", "Slovakia": "SVK",
                "Czech Republic": "CZE", "Czechia": "CZE", "Greece": "GRC", "Estonia": "EST"}
#: Stage of the 2020 list's shares per material (global production of that stage).
PRODUCERS_2020_STAGE = {"Gallium": "processing", "Germanium": "processing",
                        "Natural Graphite": "extraction", "Antimony": "extraction",
                        "Tungsten": "extraction"}
PRODUCERS_2020_SOURCE = ("EC (2020) COM(2020)474 main global producers (4th list), via "
                         "../shared/data/eu_crm/crm2020_main_producers_dw.csv (DW data, M)")
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


def domestic_split(material: str, stage: str, wmd: pd.DataFrame,
                   producers: pd.DataFrame) -> tuple[pd.Series, str, str] | None:
    """EU production of ``material`` at ``stage`` split by member state (fractions summing to 1),
    with its source and label; ``None`` where no source names a member state for the stage."""
    table, name = DOMESTIC[material]
    if WMD_STAGE.get(table) == stage:
        rows = wmd[(wmd["commodity"] == table) & wmd["year"].isin(WMD_YEARS)
                   & wmd["country_iso3"].isin(EU27)]
        out = rows.groupby("country_iso3")["value"].sum()
        out = out[out > 0]
        if len(out):
            return (out / out.sum(), WMD_SOURCE,
                    f"member-state output, WMD {table} 2018-2020")
    if PRODUCERS_2020_STAGE.get(name) == stage:
        rows = producers[(producers["material"] == name)
                         & producers["country"].isin(list(MEMBER_NAMES))]
        out = rows.drop_duplicates(["country"]).set_index("country")["share_pct"].astype(float)
        out = out[out > 0].rename(index=MEMBER_NAMES)
        if len(out):
            return (out / out.sum(), PRODUCERS_2020_SOURCE,
                    "member states in the EU's 2020 main-producers list")
    return None


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
    producers = pd.read_csv(SHARED / "eu_crm" / "crm2020_main_producers_dw.csv")
    rows: list[dict[str, object]] = []
    for (material, stage), (gs_spec, hs) in PLAN.items():
        gs, gs_source, gs_label = _gs(gs_spec, published, wmd)
        note = ""
        if stage == "processing" and gs_spec in {"wmd:Tungsten (W)", "wmd:Antimony"}:
            note = "no processing-stage statistics in spigot's sources: mine shares stand in"
        for region, share in gs[gs.round(6) > 0].items():
            rows.append({"material": material, "stage": stage, "scope": "GS", "region": region,
                         "share": round(float(share), 6), "basis_of_shares": gs_label,
                         "source": gs_source, "note": note})
        ir = float(results[f"ir_{stage}"].astype(float)[material])
        split = _imports(hs, baci) if hs else gs
        how = (f"IR x EU27 extra-EU import shares, BACI HS {'/'.join(hs)}" if hs else
               "IR x global-supply shares (no HS92 trade code for this stage in the extract)")
        source = BACI_SOURCE.format(codes="/".join(hs)) if hs else gs_source
        import_note = "; ".join(n for n in (note, IMPORT_STAND_INS.get((material, stage), ""))
                                if n)
        split = split[~split.index.isin(EU27)]
        imports = split / split.sum() * ir
        imports = imports[imports.round(6) > 0]
        for region, share in imports.items():
            rows.append({"material": material, "stage": stage, "scope": "EU", "region": region,
                         "share": round(float(share), 6), "basis_of_shares": how,
                         "source": source, "note": import_note})
        if ir >= 1:
            continue
        ir_source = "EC (2023) published import reliance (eu_crm_2023_results.csv)"
        members = domestic_split(material, stage, wmd, producers)
        if members is None:
            rows.append({
                "material": material, "stage": stage, "scope": "EU", "region": "EU27",
                "share": round(1 - ir, 6),
                "basis_of_shares": "1 - IR (EU production; published IR)", "source": ir_source,
                "note": ("EU production as one entry scored with the mean WGI of the member "
                         "states: no source names the producing member states")})
            continue
        split_ms, ms_source, ms_label = members
        for region, share in split_ms.items():
            rows.append({
                "material": material, "stage": stage, "scope": "EU", "region": region,
                "share": round(float(share * (1 - ir)), 6),
                "basis_of_shares": f"(1 - IR) x {ms_label}",
                "source": f"{ir_source}; {ms_source}", "note": ""})
    return pd.DataFrame(rows)


def main() -> None:
    """Write the table."""
    build().to_csv(OUT, index=False)


if __name__ == "__main__":
    main()
