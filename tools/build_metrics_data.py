"""Build the curated copies in ``src/spigot/risk/data/`` from ``../shared/data``.

Run once by a developer (``python tools/build_metrics_data.py``); the package and its tests only
read the curated copies. Every output row keeps a ``source`` column. See
``src/spigot/risk/data/README.md`` for provenance and for the corrections applied.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
OUT = Path(__file__).resolve().parents[1] / "src" / "spigot" / "metrics" / "data"

CRITMAT = ("EC (2023) Study on the Critical Raw Materials for the EU 2023 - Final Report "
           "(Grohol & Veeh, doi:10.2873/725585), as transcribed in CritMAT "
           "input_data/seeds/{file} (github meyerdata/CritMAT @0bd89778, MIT)")

ISO3 = {
    "Argentina": "ARG", "Australia": "AUS", "Belarus": "BLR", "Bolivia": "BOL", "Brazil": "BRA",
    "Burkina Faso": "BFA", "Canada": "CAN", "China": "CHN", "DR Congo": "COD", "Egypt": "EGY",
    "Guinea": "GIN", "India": "IND", "Indonesia": "IDN", "Japan": "JPN", "Malaysia": "MYS",
    "Mexico": "MEX", "Mongolia": "MNG", "Morocco": "MAR", "Mozambique": "MOZ", "Myanmar": "MMR",
    "Namibia": "NAM", "North Macedonia": "MKD", "Norway": "NOR", "Peru": "PER", "Russia": "RUS",
    "Rwanda": "RWA", "Senegal": "SEN", "Sierra Leone": "SLE", "Thailand": "THA", "Türkiye": "TUR",
    "Ukraine": "UKR", "United States": "USA", "Vietnam": "VNM", "Zambia": "ZMB",
}

BASIS = {"GS+EU": "GS+EU", "GSonly": "GSonly", "EUonly": "EUonly", "EU": "EUonly"}


def _num(value: object) -> float:
    try:
        return float(str(value).strip())
    except ValueError:
        return float("nan")


def results() -> pd.DataFrame:
    raw = pd.read_csv(SHARED / "eu_crm" / "critmat_eureport_results.csv", dtype=str,
                      keep_default_na=False)
    raw = raw.drop_duplicates()
    rows = []
    for r in raw.to_dict(orient="records"):
        name = r["material_name"]
        notes = []
        mat_group = ""
        if name in {"HREE", "Dysprosium", "Erbium", "Europium", "Gadolinium", "Holmium", "Lutetium",
                    "Terbium", "Thulium", "Ytterbium", "Yttrium"}:
            mat_group = "HREE"
        elif name in {"LREE", "Cerium", "Lanthanum", "Neodymium", "Praseodymium", "Samarium"}:
            mat_group = "LREE"
        elif name in {"PGM", "Iridium", "Palladium", "Platinum", "Rhodium", "Ruthenium"}:
            mat_group = "PGM"
        basis_e = r["eu_used_supply_primary"] or ""
        sr_e = r["supply_risk_primary"] or ""
        basis_p = r["eu_used_supply_refined"] or ""
        sr_p = r["supply_risk_refined"] or ""
        if basis_p and basis_p not in BASIS:  # shifted cells: the SR sits in the basis column
            sr_e, basis_p = basis_p, ""
            notes.append("extraction SR shifted one column right in the transcription; moved back")
        if sr_e.endswith("%"):
            notes.append(f"extraction SR cell garbled ({sr_e!r}) in the transcription; left blank")
            sr_e = ""
        if basis_p == "EU":
            notes.append("processing basis given as 'EU'; read as EUonly")
        if name == "Praseodymium":
            notes.append("processing SR cell empty in the transcription (headline SR 3.2 at "
                         "the processing bottleneck)")
        rows.append({
            "material": name, "group": mat_group, "sr": _num(r["supply_risk"]),
            "ei": _num(r["economic_importance"]), "bottleneck_stage": r["eu_used_stage"].lower(),
            "stages": r["eu_stages"],
            "basis_extraction": BASIS.get(basis_e, ""), "sr_extraction": _num(sr_e),
            "basis_processing": BASIS.get(basis_p, ""), "sr_processing": _num(sr_p),
            "si_ei": _num(r["si_ei"]), "si_sr": _num(r["si_sr"]),
            "ir_extraction": _num(r["import_reliance_primary"]) / 100,
            "ir_processing": _num(r["import_reliance_refined"]) / 100,
            "eol_rir": _num(r["end_of_life"]) / 100,
            "source": CRITMAT.format(file="eureport_results.csv"),
            "note": "; ".join(notes),
        })
    return pd.DataFrame(rows)


def trade_parameters() -> pd.DataFrame:
    raw = pd.read_csv(SHARED / "eu_crm" / "critmat_eureport_tradeparameters.csv")
    return pd.DataFrame({
        "material": raw["material_name"], "country": raw["country_name"],
        "region": raw["country_name"].map(ISO3),
        "stage": raw["category"].map({"primary": "extraction", "refined": "processing"}),
        "scope": raw["scope"].map({"world": "GS", "eu": "EU"}),
        "t": raw["parameter"], "source": CRITMAT.format(file="eureport_tradeparameters.csv"),
    })


def shares() -> pd.DataFrame:
    raw = pd.read_csv(SHARED / "eu_crm" / "crm2023_processing_shares_secondary.csv")
    raw["source"] = raw["source"].where(raw["source"] != "same").ffill()
    names = {**ISO3, "Russia": "RUS"}
    return pd.DataFrame({
        "material": raw["material"], "stage": raw["stage"], "scope": "GS",
        "country": raw["country"], "region": raw["country"].map(names),
        "share": (raw["share_pct"] / 100).round(6), "source": raw["source"],
        "confidence": raw["confidence"], "note": raw["note"].fillna(""),
    })


def wgi() -> pd.DataFrame:
    raw = pd.read_csv(SHARED / "wgi.csv")
    return raw.rename(columns={"country_iso3": "region"})


def usgs_nir() -> pd.DataFrame:
    raw = pd.read_csv(SHARED / "usgs" / "us_salient_mcs2026.csv", dtype=str)
    nir = raw[raw["item"].str.contains("net import reliance", case=False)].copy()
    return pd.DataFrame({
        "commodity": nir["commodity"], "importer": "USA", "item": nir["item"],
        "year": nir["year"].astype(int), "nir": nir["value"].astype(float) / 100,
        "qualifier": nir["unit"].str.extract(r"\((.*)\)")[0].fillna(""),
        "source": nir["source"] + " (USGS Mineral Commodity Summaries 2026, salient statistics)",
        "note": nir["note"].fillna(""),
    })


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    results().to_csv(OUT / "eu_crm_2023_results.csv", index=False)
    trade = trade_parameters()
    assert trade["region"].notna().all(), trade[trade["region"].isna()]
    trade.to_csv(OUT / "eu_crm_2023_trade_parameters.csv", index=False)
    sh = shares()
    assert sh["region"].notna().all(), sh[sh["region"].isna()]
    sh.to_csv(OUT / "eu_crm_2023_shares.csv", index=False)
    wgi().to_csv(OUT / "wgi.csv", index=False)
    usgs_nir().to_csv(OUT / "usgs_net_import_reliance.csv", index=False)


if __name__ == "__main__":
    main()
