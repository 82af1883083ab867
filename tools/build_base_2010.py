"""Build the bundled dataset ``base-2010`` (src/spigot/datasets/base-2010/): the rare-earth world of 2010.

The starting state of the ``replay-2010`` back-test (China's export quotas 2009-2014, the halt of
shipments to Japan in Sep-Nov 2010). It reuses the helpers, ore profiles, recipes and balancing
rules of ``tools/build_base_dataset.py`` (route allocation, transit times, table writer) and
changes what differs in 2010:

* rare earths only (concentrate -> separated oxides -> NdPr metal -> sintered NdFeB -> sectors);
  tungsten, gallium, germanium, graphite and antimony are not part of the 2010 episode;
* China ~96 % of mining (USGS MCS2012 table for 2010; Russia's loparite added as an assumption);
* Mountain Pass idle (restart 2012), Lynas Mount Weld/Kuantan planned (first feed late 2012);
* Japan a large importer of separated oxides and metal and the second magnet maker;
* 2010 demand: no EVs, ~1 M hybrids, 39 GW of wind, smaller magnet output;
* early-2010 prices (Japan Metal Bulletin multiples; see the price rows), China's domestic prices
  below FOB by the 2008 export duties.

Figures that are not in the project's collection of facts (../shared/data) are marked in their row:
``recalled from <publication>; not in the project's facts; verify`` with confidence L, or
``assumption`` with confidence L. Run::

    .venv/bin/python tools/build_base_2010.py

It does not touch ``base`` (regenerate that with tools/build_base_dataset.py). The committed CSVs
are what ships; tests never run this script or read ../shared.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import build_base_dataset as b  # tools/ is on sys.path when this file is run as a script
import yaml

YEAR = 2010
OUT = Path(__file__).resolve().parents[1] / "src" / "spigot" / "datasets" / "base-2010"
BASE_DIR = OUT.parent / "base"

# The helpers of build_base_dataset keep their state in module globals (NODES, ROUTES) and stamp
# routes with its YEAR: point them at 2010 for this process only (base is never written here).
b.YEAR = YEAR
b.NODES.clear()
b.ROUTES.clear()

derived = b.derived
ASSUME = b.S_ASSUME
VERIFY = "; not in the project's facts; verify"
S_MCS12 = ("recalled from USGS Mineral Commodity Summaries 2012, Rare Earths, world mine production "
           "table (2010 column)" + VERIFY)
S_QUOTA = ("episodes/china_re_export_quotas.csv of the project's facts (2010 quota 30,258 t, Reuters "
           "via abrasivesunion.com; exports 32,200 t in Jan-Sep 2010, evwind.es 2010-12-30)")
S_JPN_IMP = ("episodes/japan_re_imports_2010.csv of the project's facts (2010 imports from China "
             "~20,000 t, 'basically unchanged from 2009': Minister Ohata via WSJ 2011-01-06)")
S_JPN_MKT = ("demand/magnet_demand_by_application.csv and substitution_evidence.csv of the project's "
             "facts (Reuters 2011-07-14 'Q+A: Japan's rare earth market': high-power magnets ~1/5 of "
             "the Japanese market, 4,500-5,000 t/yr; 2011 market -30 % to ~23,000 t)")
S_SOJITZ = ("demand/inventory_and_qualification.csv of the project's facts (Japan Times 2011-01-26: "
            "Sojitz, Japan 2011 demand 32,000 t; Japanese users held ~3 months of stock)")
S_IMCOA = ("demand/ree_demand_by_element.csv of the project's facts (world demand 2010 124,000 t REO, "
           "Kingsnorth/IMCOA via Jamestown China Brief 11(7))")
S_ROSKILL = ("demand/magnet_demand_by_application.csv of the project's facts (Roskill: wind 'over 7 %' "
             "of the NdFeB market in 2011)")
S_JMB = "episodes/re_prices_2010_2015.csv of the project's facts (Japan Metal Bulletin ?p=4991)"
S_TAX = "FACTS.md §D of the project's facts (export duties from Jan 2008: Japan Metal Bulletin ?p=13491)"
S_OICA10 = "recalled from OICA 2010 production statistics" + VERIFY
S_GWEC10 = "recalled from GWEC Global Wind Report 2010 (annual installations)" + VERIFY
S_FAC = "facilities.csv of the project's facts"

# ---------------------------------------------------------------------------------- scope
RE_COMMODITIES = ["re_concentrate", "re_concentrate_ionic", "la_oxide", "ce_oxide", "ndpr_oxide",
                  "sm_oxide", "gd_oxide", "tb_oxide", "dy_oxide", "y_oxide", "other_ree_oxide",
                  "ndpr_metal", "ndfeb_magnet"]
COUNTRIES = {c: b.COUNTRIES[c] for c in ["CHN", "USA", "JPN", "KOR", "DEU", "FRA", "EST", "IND", "RUS",
                                         "AUS", "MYS"]}
EU_LISTED = [c for c in COUNTRIES if c in b.EU27]
EU_OTHER_MEMBERS = [c for c in b.EU27 if c not in EU_LISTED]
CONSUMERS = ["CHN", "JPN", "USA", "KOR", "DEU", "FRA", "EU_OTHER", "IND", "ROW"]

# ---------------------------------------------------------------------------------- recipes
MAG_DY_2010 = 0.010  # t Dy per t NdFeB, fleet average 2010 (before grain-boundary diffusion)
MAG_TB_2010 = 0.001  # t Tb per t NdFeB
SEP_RECIPES = ["sep_bayan_obo", "sep_ionic_clay", "sep_monazite_light", "sep_mountain_pass",
               "sep_mount_weld"]


def recipe_rows() -> list[dict]:
    keep = {"mine_re", "mine_re_ionic", "reduce_ndpr", *SEP_RECIPES}
    rows = [dict(r) for r in b.RECIPE_ROWS if r["recipe"] in keep]

    def add(commodity, role, coef, source, note=""):
        rows.append({"recipe": "make_ndfeb_2010", "commodity": commodity, "role": role,
                     "coefficient": round(coef, 6), "source": source, "note": note})

    add("ndfeb_magnet", "output", 1, "definition", "activity = t finished magnet (2010 grades)")
    mag = next(r for r in b.RECIPE_ROWS if r["recipe"] == "make_ndfeb" and r["commodity"] == "ndpr_metal")
    add("ndpr_metal", "input", mag["coefficient"], mag["source"], mag["note"])
    s_dy = ("basics/magnet_intensity.csv (Dy 0.6-1.2 % in standard grades); demand/substitution_evidence"
            ".csv (NEDO 2007-2011 and Nissan c.2011: -40 % Dy)")
    add("dy_oxide", "input", MAG_DY_2010 / b.DY_OX, s_dy,
        f"assumption: 2010 fleet-average {MAG_DY_2010 * 100:.1f} % Dy metal (the 2024 average 0.6 % / "
        f"(1 - 0.4) thrifting since 2010), as oxide: {MAG_DY_2010} / {b.DY_OX} (Dy2O3 -> Dy) = "
        f"{MAG_DY_2010 / b.DY_OX:.5f} t Dy2O3 per t magnet (L)")
    add("tb_oxide", "input", MAG_TB_2010 / b.TB_OX, s_dy,
        f"assumption: 2010 fleet-average {MAG_TB_2010 * 100:.2f} % Tb metal (Tb diffusion came later), "
        f"as oxide: {MAG_TB_2010} / {b.TB_OX} = {MAG_TB_2010 / b.TB_OX:.5f} t Tb4O7 per t magnet (L)")
    return rows


RECIPES = recipe_rows()
# b.recipe_outputs/-inputs read b.RECIPE_ROWS: add the 2010 magnet recipe there (this process only).
b.RECIPE_ROWS.extend(r for r in RECIPES if r["recipe"] == "make_ndfeb_2010")
out_of = b.recipe_outputs

# ---------------------------------------------------------------------------------- nodes
CHN_MINE = 130000.0  # USGS MCS2012, 2010
CHN_IONIC = 30000.0  # assumption
IND_MINE, BRA_MINE, MYS_MINE = 2800.0, 550.0, 30.0
RUS_MINE = 2500.0
JPN_MAGNETS = 14000.0
DEU_MAGNETS = 1000.0
NDPR_OTHER_SHARE = 0.15


def node(*args, **kw) -> None:
    b.node(*args, year=YEAR, **kw)


def build_nodes() -> None:
    node("re_mine_chn", "China rare-earth mining (light ores: Bayan Obo, Sichuan, Shandong)", "CHN",
         "mining", "country", "mine_re", 110000, CHN_MINE - CHN_IONIC,
         derived(f"{CHN_MINE:,.0f} - {CHN_IONIC:,.0f} ion-adsorption (assumption)", S_MCS12), "L",
         "China 130,000 t REO in 2010 (USGS, incl. estimated undocumented output; China's own figure for "
         "2011 was 96,900 t per the quota file); light-ore share is China's output minus an assumed "
         "30,000 t from ion-adsorption clays; capacity assumption")
    node("re_mine_chn_ionic", "China ion-adsorption clay mining (Jiangxi, Guangdong, Fujian...)", "CHN",
         "mining", "country", "mine_re_ionic", 35000, CHN_IONIC, ASSUME, "L",
         "assumption: ~23 % of China's 2010 output from southern ion-adsorption clays, incl. undocumented "
         "mining (the 2024 ionic quota is 19,150 t); Myanmar's clays were not yet a major source")
    node("mountain_pass", "Molycorp Mountain Pass mine and concentrator (California)", "USA", "mining",
         "facility", "mine_re", 19050, 0,
         "recalled from Molycorp prospectus 2010 and USGS MCS2011/2012 (mining suspended 2002; Project "
         "Phoenix restart 2012)" + VERIFY, "L",
         "idle in 2010: no US mining (USGS), only stockpiled concentrate processed; restart of mining "
         "and the new plant in 2012 (Phase 1 19,050 t REO/yr); start = restart date", status="idle",
         start="2012-08", ramp_weeks=104)
    node("lynas_mount_weld", "Lynas Mount Weld mine (Western Australia)", "AUS", "mining", "facility",
         "mine_re", 11000, 0,
         f"{S_FAC} (Mount Weld; NdPr capacity figures); Phase 1 11,000 t REO/yr and first Kuantan feed "
         "Nov 2012 recalled from Lynas announcements" + VERIFY, "L",
         "planned in 2010: ore mined in a 2008 campaign and stockpiled; concentrate shipped to Kuantan "
         "from late 2012", status="planned", start="2012-11", ramp_weeks=104)
    node("re_mine_ind", "India rare-earth mining (IREL monazite)", "IND", "mining", "country", "mine_re",
         3000, IND_MINE, S_MCS12, "L", "")
    node("re_mine_rus", "Russia rare-earth mining (Lovozero loparite)", "RUS", "mining", "country",
         "mine_re", 3000, RUS_MINE, ASSUME, "L",
         "assumption: USGS lists the CIS as 'not available' for 2010; ~2,500 t REO in loparite "
         "concentrate, processed at Solikamsk and Silmet")
    node("re_mine_row", "Rest-of-world rare-earth mining (Brazil, Malaysia)", "ROW", "mining", "country",
         "mine_re", BRA_MINE + MYS_MINE, BRA_MINE + MYS_MINE, S_MCS12, "L",
         f"Brazil {BRA_MINE:.0f} and Malaysia {MYS_MINE:.0f} t REO; sold to China as concentrate "
         "(assumption)")
    # separation
    node("re_sep_chn_light", "China separation of light ores (Baotou, Sichuan, Shandong)", "CHN",
         "separation", "country", "sep_bayan_obo", 130000, CHN_MINE - CHN_IONIC + BRA_MINE + MYS_MINE,
         derived("China light-ore output + rest-of-world concentrate", S_MCS12), "L",
         "capacity assumption; the Bayan Obo split is applied to all light feed")
    node("re_sep_chn_ionic", "China separation of ionic-clay concentrate (Jiangxi, Guangdong, Fujian)",
         "CHN", "separation", "country", "sep_ionic_clay", 40000, CHN_IONIC,
         derived("equal to the ion-adsorption output", ASSUME), "L", "capacity assumption")
    node("mp_mountain_pass_sep", "Molycorp Mountain Pass separation (California)", "USA", "separation",
         "facility", "sep_mountain_pass", 19050, 0,
         "recalled from USGS MCS2011 (stockpiled concentrate processed into La concentrate and didymium "
         "oxide in 2010) and Molycorp 2010" + VERIFY, "L",
         "idle in 2010 for the model (stockpile processing of a few kt is not tracked); new plant 2012",
         status="idle", start="2012-08", ramp_weeks=104)
    node("lynas_kuantan", "Lynas Advanced Materials Plant, Kuantan (with Kalgoorlie cracking)", "MYS",
         "separation", "facility", "sep_mount_weld", 11000, 0,
         f"{S_FAC} (Lynas Malaysia); first feed Nov 2012 and Phase 1 11,000 t REO/yr recalled from Lynas "
         "announcements" + VERIFY, "L", "planned in 2010 (under construction)", status="planned",
         start="2012-11", ramp_weeks=104)
    node("re_sep_ind", "India separation (IREL, Odisha)", "IND", "separation", "country",
         "sep_monazite_light", 4000, IND_MINE, derived("equal to India's mine output", S_MCS12), "L",
         "capacity assumption L")
    node("silmet", "AS Silmet (Sillamae, Estonia)", "EST", "separation", "facility",
         "sep_monazite_light", 3000, RUS_MINE,
         f"{S_FAC} (Silmet 3,000 t/yr light REE, H); feed assumption", "L",
         "assumption: in 2010 Silmet separated Russian loparite-derived feed (Molycorp bought it in "
         "2011, Neo Performance Materials later)")
    # metal
    node("met_chn", "China NdPr metal", "CHN", "metal", "country", "reduce_ndpr", 60000, 0, ASSUME, "L",
         "output set by the NdPr balance (all NdPr oxide not used elsewhere)")
    node("met_jpn", "Japan NdPr metal (Santoku, Showa Denko and others)", "JPN", "metal", "country",
         "reduce_ndpr", 5000, 0, ASSUME, "L",
         "assumption: Japan reduced imported oxide to metal for half of its own magnet output; the other "
         "half was imported as metal/alloy from China")
    # magnets
    node("mag_chn", "China sintered NdFeB", "CHN", "magnet", "country", "make_ndfeb_2010", 90000, 0,
         ASSUME, "L", "output = world magnet output (set by NdPr metal supply) minus Japan and Germany")
    node("mag_jpn", "Japan sintered NdFeB (Hitachi Metals, Shin-Etsu, TDK)", "JPN", "magnet", "country",
         "make_ndfeb_2010", 18000, JPN_MAGNETS,
         derived("~4,750 t RE for high-power magnets / ~0.33 t RE per t magnet", S_JPN_MKT), "L",
         "Reuters 2011: magnets ~1/5 of Japan's RE market (4,500-5,000 t/yr), producer shares Hitachi "
         "45 %, Shin-Etsu 40 %, TDK 10 %; capacity assumption")
    node("mag_deu", "EU sintered NdFeB (Vacuumschmelze Hanau)", "DEU", "magnet", "country",
         "make_ndfeb_2010", 1500, DEU_MAGNETS, ASSUME, "L", "assumption: ~1,000 t")


# ---------------------------------------------------------------------------------- demand
VEHICLES = {"CHN": 18264761, "USA": 7743093, "JPN": 9628920, "DEU": 5905985, "KOR": 4271941,
            "IND": 3557073, "FRA": 2229421}
VEH_EU_OTHER = 7600000  # ESP, CZE, ITA, POL, SVK, BEL, ROU, SVN, SWE, HUN, PRT, AUT, NLD (OICA 2010)
VEH_WORLD = 77629127
HEVS = {"JPN": 900000, "USA": 100000, "ROW": 50000}  # hybrid and electric cars made (assumption)
KG_MAG_PER_VEHICLE = 0.25
KG_MAG_PER_HEV = 1.2
WIND_MW = {"CHN": 18928, "USA": 5115, "IND": 2139, "DEU": 1493, "FRA": 1086}
WIND_EU_OTHER = 5600
WIND_WORLD = 39400
MAG_SHARE = {"wind": 0.07, "industrial_motors": 0.15}
W_RE = {"CHN": 60, "JPN": 17, "USA": 8, "KOR": 3, "DEU": 2, "FRA": 2, "EU_OTHER": 3, "IND": 1, "ROW": 4}
SECTOR_WEIGHTS = {
    "electronics": {"CHN": 55, "JPN": 18, "KOR": 8, "USA": 4, "DEU": 1, "FRA": 0.5, "EU_OTHER": 2,
                    "IND": 1.5, "ROW": 10},
    "industrial_motors": {"CHN": 50, "JPN": 18, "DEU": 8, "USA": 8, "KOR": 4, "FRA": 2, "EU_OTHER": 4,
                          "IND": 2, "ROW": 4},
    "catalysts": {"CHN": 40, "USA": 20, "JPN": 12, "DEU": 5, "EU_OTHER": 6, "KOR": 4, "IND": 3, "FRA": 2,
                  "ROW": 8},
    "glass_polishing": {"CHN": 55, "JPN": 25, "KOR": 8, "USA": 4, "ROW": 8},
    "phosphors": {"CHN": 55, "JPN": 25, "KOR": 7, "USA": 5, "DEU": 3, "ROW": 5},
    "metallurgy": {"CHN": 60, "JPN": 25, "USA": 5, "DEU": 2, "EU_OTHER": 3, "ROW": 5},
    "other": dict(W_RE),
}
USE_SPLIT = {
    "la_oxide": {"catalysts": 40, "glass_polishing": 10, "metallurgy": 40, "other": 10},
    "ce_oxide": {"glass_polishing": 40, "catalysts": 30, "metallurgy": 20, "other": 10},
    "ndpr_oxide": {"other": 100},
    "sm_oxide": {"other": 100},
    "gd_oxide": {"phosphors": 10, "other": 90},
    "tb_oxide": {"phosphors": 100},
    "dy_oxide": {"other": 100},
    "y_oxide": {"phosphors": 40, "other": 60},
    "other_ree_oxide": {"phosphors": 40, "other": 60},
}
SPLIT_NOTES = {
    "la_oxide": "La 2010: FCC catalysts, NiMH battery alloys (hybrid cars, metallurgy), optical glass "
                "(assumption from USGS end-use patterns; see base)",
    "ce_oxide": "Ce 2010: glass polishing (the largest single use in Japan: TIME c.2012 via "
                "substitution_evidence.csv), autocatalysts, alloys (assumption)",
    "ndpr_oxide": f"NdPr not made into sintered magnets: bonded magnets, glass/ceramics, alloys "
                  f"({NDPR_OTHER_SHARE:.0%} of NdPr, assumption L)",
    "sm_oxide": "Sm: SmCo magnets and other (assumption)",
    "gd_oxide": "Gd: phosphors 10 %; other 90 % (assumption)",
    "tb_oxide": "Tb not used in NdFeB: green phosphors for fluorescent lamps and displays (assumption)",
    "dy_oxide": "Dy not used in sintered NdFeB: bonded magnets, ceramics, lasers (assumption)",
    "y_oxide": "Y: phosphors 40 % (fluorescent lamps, 2010), ceramics and other 60 % (assumption)",
    "other_ree_oxide": "Eu phosphors 40 %; Er, Yb, Ho, Lu and other 60 % (assumption)",
}
COST_SHARE = {"electronics": 0.01, "industrial_motors": 0.03, "catalysts": 0.05, "glass_polishing": 0.05,
              "phosphors": 0.10, "metallurgy": 0.02, "other": 0.03}
PRIORITY = {"glass_polishing": 3, "other": 3, "metallurgy": 3}
COVER = {"automotive": 4, "wind": 8, "electronics": 6, "industrial_motors": 8, "catalysts": 8,
         "glass_polishing": 8, "phosphors": 8, "metallurgy": 6, "other": 8}
ELASTICITY = {"glass_polishing": -0.3, "catalysts": -0.15, "phosphors": -0.2}
VEH_VALUE = {"CHN": 15000, "USA": 30000, "JPN": 25000, "DEU": 35000, "KOR": 20000, "IND": 10000,
             "FRA": 25000, "EU_OTHER": 22000, "ROW": 18000}
WIND_VALUE_EUR = 1.21  # EUR million per MW, 2009 five-year high (BNEF via sector_values.csv)
S_WINDV = ("demand/sector_values.csv of the project's facts (BNEF wind turbine price index: EUR 1.21 m/MW "
           "in 2009, EUR 0.91 m/MW for H2-2011 contracts)")

DEMAND: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)


def add_demand(c: str, sector: str, by_region: dict[str, float]) -> None:
    for r, t in by_region.items():
        if t > 0:
            DEMAND[(r, sector)][c] = DEMAND[(r, sector)].get(c, 0.0) + t


def supply_total(c: str) -> float:
    return sum(n["output"] * out_of(n["recipe"]).get(c, 0.0) for n in b.NODES)


def node_needs(c: str) -> dict[str, float]:
    return {n["id"]: n["output"] * b.recipe_inputs(n["recipe"]).get(c, 0.0) for n in b.NODES
            if n["output"] > 0 and b.recipe_inputs(n["recipe"]).get(c, 0.0) > 0}


def region_sinks(c: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for (region, _sector), uses in DEMAND.items():
        out[region] += uses.get(c, 0.0)
    return dict(out)


def vehicles() -> dict[str, float]:
    v = {k: float(x) for k, x in VEHICLES.items()}
    v["EU_OTHER"] = VEH_EU_OTHER
    v["ROW"] = VEH_WORLD - sum(v.values())
    return v


def wind() -> dict[str, float]:
    w = {k: float(x) for k, x in WIND_MW.items()}
    w["EU_OTHER"] = WIND_EU_OTHER
    w["ROW"] = WIND_WORLD - sum(w.values())
    return w


def build_flows() -> dict[str, float]:
    info: dict[str, float] = {}
    s_row = f"{S_MCS12}; {ASSUME}"
    b.allocate("re_concentrate", node_needs("re_concentrate"), presets=[
        ("re_mine_chn", "re_sep_chn_light", CHN_MINE - CHN_IONIC, S_MCS12, "L",
         "China's light ores are separated in China"),
        ("re_mine_row", "re_sep_chn_light", BRA_MINE + MYS_MINE, s_row, "L",
         "assumption: Brazilian and Malaysian concentrate sold to China"),
        ("re_mine_ind", "re_sep_ind", IND_MINE, S_MCS12, "L", "IREL mines and separates in India"),
        ("re_mine_rus", "silmet", RUS_MINE, ASSUME, "L",
         "assumption: Russian loparite-derived feed to Silmet (Estonia)"),
    ])
    b.allocate("re_concentrate_ionic", node_needs("re_concentrate_ionic"), presets=[
        ("re_mine_chn_ionic", "re_sep_chn_ionic", CHN_IONIC, ASSUME, "L", "domestic")])

    # NdPr: non-magnet use, Japan's own metal, then world magnet output
    ndpr = {n["id"]: n["output"] * out_of(n["recipe"]).get("ndpr_oxide", 0.0) for n in b.NODES}
    total_ndpr = sum(ndpr.values())
    other_ndpr = NDPR_OTHER_SHARE * total_ndpr
    metal_per_magnet = b.recipe_inputs("make_ndfeb_2010")["ndpr_metal"]
    jpn_metal = 0.5 * JPN_MAGNETS * metal_per_magnet
    jpn_oxide = jpn_metal / b.ND_YIELD
    presets = [
        ("re_sep_ind", "met_jpn", ndpr["re_sep_ind"], ASSUME, "L",
         "assumption: IREL NdPr to Japanese metal makers (Toyotsu)"),
        ("silmet", "met_jpn", ndpr["silmet"], ASSUME, "L",
         "assumption: Silmet NdPr oxide sold to Japanese metal makers"),
        ("re_sep_chn_light", "met_jpn", jpn_oxide - ndpr["re_sep_ind"] - ndpr["silmet"],
         f"{S_JPN_IMP}; {ASSUME}", "L",
         "derived: oxide for Japan's own metal (half of its magnets) minus Indian and Estonian oxide"),
    ]
    b.set_output("met_jpn", jpn_metal)
    to_chn = total_ndpr - other_ndpr - jpn_oxide
    b.set_output("met_chn", to_chn * b.ND_YIELD)
    magnets = (to_chn + jpn_oxide) * b.ND_YIELD / metal_per_magnet
    b.set_output("mag_chn", magnets - JPN_MAGNETS - DEU_MAGNETS)
    info.update(total_ndpr=total_ndpr, magnets=magnets,
                china_magnet_share=(magnets - JPN_MAGNETS - DEU_MAGNETS) / magnets)

    veh, hev = vehicles(), HEVS
    auto = {r: (veh[r] * KG_MAG_PER_VEHICLE + hev.get(r, 0) * KG_MAG_PER_HEV) / 1000 for r in veh}
    add_demand("ndfeb_magnet", "automotive", auto)
    add_demand("ndfeb_magnet", "wind", b.split(MAG_SHARE["wind"] * magnets, wind()))
    add_demand("ndfeb_magnet", "industrial_motors",
               b.split(MAG_SHARE["industrial_motors"] * magnets, SECTOR_WEIGHTS["industrial_motors"]))
    rest = magnets - sum(auto.values()) - sum(MAG_SHARE.values()) * magnets
    if rest <= 0:
        raise ValueError("automotive magnet demand exceeds supply")
    add_demand("ndfeb_magnet", "electronics", b.split(rest, SECTOR_WEIGHTS["electronics"]))
    info.update(auto_share=sum(auto.values()) / magnets, electronics_share=rest / magnets)

    add_demand("ndpr_oxide", "other", b.split(other_ndpr, SECTOR_WEIGHTS["other"]))
    for c, shares in USE_SPLIT.items():
        if c == "ndpr_oxide":
            continue
        final = supply_total(c) - sum(node_needs(c).values())
        info[f"final_{c}"] = final
        for sector, pct in shares.items():
            add_demand(c, sector, b.split(final * pct / 100, SECTOR_WEIGHTS[sector]))

    prefer = {"silmet": ["EU_OTHER", "DEU", "FRA"], "re_sep_ind": ["IND", "JPN"]}
    for c in ["la_oxide", "ce_oxide", "sm_oxide", "gd_oxide", "tb_oxide", "dy_oxide", "y_oxide",
              "other_ree_oxide"]:
        b.allocate(c, {**node_needs(c), **region_sinks(c)}, prefer=prefer)
    b.allocate("ndpr_oxide", {**node_needs("ndpr_oxide"), **region_sinks("ndpr_oxide")},
               presets=presets, prefer=prefer)
    b.allocate("ndpr_metal", node_needs("ndpr_metal"))
    b.allocate("ndfeb_magnet", region_sinks("ndfeb_magnet"))
    return info


POTENTIAL = [
    ("mountain_pass", "mp_mountain_pass_sep", ["re_concentrate"]),
    ("mp_mountain_pass_sep", "met_jpn", ["ndpr_oxide"]),
    ("mp_mountain_pass_sep", "USA", ["la_oxide", "ce_oxide"]),
    ("mp_mountain_pass_sep", "JPN", ["sm_oxide", "gd_oxide", "y_oxide", "other_ree_oxide"]),
    ("lynas_mount_weld", "lynas_kuantan", ["re_concentrate"]),
    ("lynas_kuantan", "met_jpn", ["ndpr_oxide"]),
    ("lynas_kuantan", "JPN", ["la_oxide", "ce_oxide", "other_ree_oxide"]),
]


def add_potential_routes() -> None:
    for origin, dest, commodities in POTENTIAL:
        for c in commodities:
            rid = f"{c}__{origin}__{dest}".lower()
            if any(r["id"] == rid for r in b.ROUTES):
                continue
            b.ROUTES.append({"id": rid, "commodity": c, "origin": origin, "destination": dest,
                             "volume": 0.0, "unit": b.UNIT_YR[b.BASIS[c]],
                             "transit_weeks": b.transit(b.region_of(origin), b.dest_region(dest)),
                             "year": YEAR, "source": ASSUME, "confidence": "L",
                             "note": "potential route of an idle or planned facility: no flow in 2010; "
                             "carries its output (or feed) once it (re)starts; partner is an assumption"})


# ---------------------------------------------------------------------------------- prices
ND_METAL_EARLY = 60 / 2  # JMB: Nd metal >60 USD/kg in Jul 2010, 2x the beginning of the year
DY_METAL_EARLY = 370 / 2  # JMB: Dy metal ~370 USD/kg in Jul 2010, doubled from the beginning of the year
CONV = 5.0  # USD/kg oxide-to-metal conversion (as in base)
TB_DY_RATIO = 2810 / 1410  # USGS year-end 2011 Tb oxide / Dy oxide (midpoints)
DUTY = {"la_oxide": 0.15, "ce_oxide": 0.15, "ndpr_oxide": 0.15, "ndpr_metal": 0.15, "sm_oxide": 0.15,
        "gd_oxide": 0.15, "tb_oxide": 0.25, "dy_oxide": 0.25, "y_oxide": 0.25, "other_ree_oxide": 0.25}
NDPR_OX = (ND_METAL_EARLY - CONV) * b.ND_YIELD
DY_OX_PRICE = (DY_METAL_EARLY - CONV) * b.DY_OX
S_USGS_YE = "episodes/re_prices_2010_2015.csv (USGS MCS2016 year-end 2011 oxide prices)"
PRICES = {
    "re_concentrate": (1.5, ASSUME, "L", "value of contained NdPr (~0.2 t/t x ~21 USD/kg) at ~35 % "
                       "payability (assumption)"),
    "re_concentrate_ionic": (5.0, ASSUME, "L", "value of contained NdPr, Dy, Tb, Y at ~35 % payability "
                             "(assumption)"),
    "la_oxide": (6.35, S_JMB + " (La oxide Aug 2010 23.50 USD/kg = 3.7x the start of the year)", "M",
                 "derived in the facts: 23.50 / 3.7; international (ex-China) price"),
    "ce_oxide": (4.89, S_JMB + " (Ce oxide Aug 2010 22.50 USD/kg = 4.6x the start of the year)", "M",
                 "derived in the facts: 22.50 / 4.6; international (ex-China) price"),
    "ndpr_oxide": (round(NDPR_OX, 2), derived(f"(Nd metal {ND_METAL_EARLY:g} - {CONV:g} conversion) x "
                                              f"{b.ND_YIELD}", S_JMB + " (Nd metal >60 USD/kg in Jul "
                                              "2010, 2x the beginning of the year)"), "L",
                   "early-2010 NdPr oxide backed out of the Nd metal price; conversion cost assumption"),
    "sm_oxide": (5.0, ASSUME, "L", "not in the project's facts: early-2010 Sm oxide at a few USD/kg "
                 "(assumption, order of magnitude)"),
    "gd_oxide": (10.0, ASSUME, "L", "not in the project's facts: early-2010 Gd oxide ~10 USD/kg "
                 "(assumption, order of magnitude)"),
    "tb_oxide": (round(DY_OX_PRICE * TB_DY_RATIO, 1),
                 derived(f"Dy oxide x {TB_DY_RATIO:.2f} (Tb/Dy oxide ratio at end-2011)",
                         f"{S_JMB}; {S_USGS_YE}"), "L", "no 2010 Tb price in the facts (assumption)"),
    "dy_oxide": (round(DY_OX_PRICE, 1), derived(f"(Dy metal {DY_METAL_EARLY:g} - {CONV:g}) x {b.DY_OX}",
                                                S_JMB + " (Dy metal ~370 USD/kg in Jul 2010, doubled "
                                                "from the beginning of the year)"), "L",
                 "early-2010 Dy oxide backed out of the Dy metal price; conversion cost assumption"),
    "y_oxide": (10.0, ASSUME, "L", "not in the project's facts: early-2010 Y oxide ~10 USD/kg "
                "(assumption, order of magnitude)"),
    "other_ree_oxide": (60.0, ASSUME, "L", "mix of Eu, Ho, Er, Yb, Lu: Eu oxide traded at several "
                        "hundred USD/kg in 2010 but is a small share of the mix (assumption)"),
    "ndpr_metal": (ND_METAL_EARLY, S_JMB + " (Nd metal >60 USD/kg in Jul 2010, 2x the beginning of the "
                   "year)", "M", "derived in the facts: 60 / 2; Nd metal price used for NdPr metal"),
    "ndfeb_magnet": (30.0, ASSUME, "L", "sintered NdFeB ex-China, early 2010: ~0.36 t NdPr oxide x 21 "
                     "USD/kg + ~0.011 t Dy oxide x 150 USD/kg = ~9 USD/kg raw material plus processing "
                     "(assumption)"),
}


def price_rows() -> list[dict]:
    rows = []
    for c, (ex, src, conf, note) in PRICES.items():
        rows.append({"commodity": c, "zone": "ex_china", "price": round(ex, 4), "year": YEAR,
                     "source": src, "confidence": conf, "note": note})
        duty = DUTY.get(c)
        if duty is not None:
            rows.append({"commodity": c, "zone": "china", "price": round(ex / (1 + duty), 4), "year": YEAR,
                         "source": derived(f"ex-China price / (1 + {duty:g} export duty)", f"{src}; {S_TAX}"),
                         "confidence": "L",
                         "note": "assumption: China's domestic price is the FOB price less the export duty "
                         "(no quota-licence premium at the start of 2010)"})
        else:
            rows.append({"commodity": c, "zone": "china", "price": round(ex * b.CN_DISCOUNT, 4),
                         "year": YEAR, "source": derived(f"ex-China price x {b.CN_DISCOUNT}", src),
                         "confidence": "L",
                         "note": "assumption: China domestic ~12 % below ex-China (as in base)"})
    return rows


# ---------------------------------------------------------------------------------- tables
def region_rows() -> list[dict]:
    rows = []
    for code, name in COUNTRIES.items():
        rows.append({"id": code, "name": name, "zone": "china" if code == "CHN" else "ex_china",
                     "kind": "country", "members": "", "groups": "EU27" if code in b.EU27 else "",
                     "source": "ISO 3166-1; EU membership (europa.eu)" if code in b.EU27 else "ISO 3166-1",
                     "note": "includes Hong Kong and Macao for trade flows" if code == "CHN" else ""})
    rows.append({"id": "EU_OTHER", "name": "Rest of the EU27", "zone": "ex_china", "kind": "aggregate",
                 "members": ";".join(EU_OTHER_MEMBERS), "groups": "EU27",
                 "source": "EU membership (europa.eu); spigot convention",
                 "note": "today's EU27 members not listed separately (" + ", ".join(EU_LISTED)
                 + " are); the 2010 EU (with the UK, without Croatia) differs: the UK is in ROW"})
    rows.append({"id": "ROW", "name": "Rest of world", "zone": "ex_china", "kind": "aggregate",
                 "members": "*", "groups": "", "source": "spigot convention",
                 "note": "all countries not listed (Taiwan, UK, Viet Nam, Thailand, Canada, Brazil...)"})
    return rows


def commodity_rows() -> list[dict]:
    return [row for row in b.commodity_rows() if row["id"] in RE_COMMODITIES]


SECTOR_SOURCES = {"automotive": (S_OICA10, "L"), "wind": (S_GWEC10, "L")}


def _describe_sector(region: str, sector: str, uses: dict[str, float]):
    src = None
    if sector == "automotive":
        output, unit, value = vehicles()[region], "vehicle", VEH_VALUE[region]
        note = (f"motor vehicles produced 2010; hybrid/electric {HEVS.get(region, 0)} (assumption); "
                f"value {value} USD per vehicle (assumption)")
        if region == "EU_OTHER":
            note += "; ESP, CZE, ITA, POL, SVK, BEL, ROU, SVN, SWE, HUN, PRT, AUT, NLD ~7.6 M"
        if region == "ROW":
            note += "; output = world 77.6 M minus the listed regions"
    elif sector == "wind":
        output, unit = wind()[region], "MW"
        value = 1.3e6 if region != "CHN" else 0.8e6
        src = f"{S_GWEC10}; {S_WINDV}"
        note = (f"MW installed 2010; value per MW {value:.0f} USD (EUR {WIND_VALUE_EUR} m/MW in 2009 at "
                "~1.3 USD/EUR; China assumed lower)")
        if region in ("EU_OTHER", "ROW"):
            note += "; EU_OTHER assumption, ROW = world 39.4 GW minus listed regions"
    else:
        ex_price = {c: v[0] for c, v in PRICES.items()}
        material = sum(t * 1000 * ex_price[c] for c, t in uses.items())
        output = material / COST_SHARE[sector] / 1e6
        unit, value = "USD million of output", 1e6
        note = (f"no natural unit: output = value of tracked materials used at early-2010 prices / "
                f"{COST_SHARE[sector]} cost share (assumption L)")
    return output, unit, value, note, src, None


def _bom_source(region: str, sector: str, c: str) -> tuple[str, str]:
    if c == "ndfeb_magnet" and sector == "automotive":
        bsrc = derived(f"({KG_MAG_PER_VEHICLE} kg x vehicles + {KG_MAG_PER_HEV} kg x hybrids) / "
                       "vehicles", f"{S_OICA10}; {b.S_MAG}")
        bnote = (f"assumption: {KG_MAG_PER_VEHICLE} kg NdFeB in small motors, EPS and sensors of "
                 f"a 2010 vehicle (0.4 kg in base for 2024) plus {KG_MAG_PER_HEV} kg per hybrid "
                 "traction drive")
    elif c == "ndfeb_magnet":
        share = {"wind": f"{MAG_SHARE['wind']:.0%} of world magnets ({S_ROSKILL}), split by MW "
                         "installed",
                 "industrial_motors": f"{MAG_SHARE['industrial_motors']:.0%} of world magnets "
                                      "(assumption), split by assumed regional weights",
                 "electronics": "the rest of world magnets (HDD/VCM, consumer electronics, "
                                "air-conditioner compressors, e-bikes), split by assumed "
                                "regional weights"}[sector]
        bsrc = derived("sector share x world magnet output / sector output", ASSUME)
        bnote = share + "; world magnet output set by NdPr metal supply"
    else:
        bsrc = derived("end-use share x final use x regional weight / sector output",
                       "the commodity's producers in this dataset")
        bnote = (SPLIT_NOTES.get(c, "") + "; regional weights are 2010 assumptions (Japan "
                 "large); intensities derived so world use equals world supply")
    return bsrc, bnote


def sector_and_bom_rows() -> tuple[list[dict], list[dict]]:
    return b.sector_rows_and_bom(DEMAND, _describe_sector, _bom_source, year=YEAR,
                                 sources=SECTOR_SOURCES, cover=COVER, priority=PRIORITY,
                                 elasticity=ELASTICITY, jpn_source=S_SOJITZ,
                                 jpn_exempt=("automotive",))


def production_rows() -> list[dict]:
    unit = "t REO/yr"
    rows = [{"commodity": "rare_earths", "stage": "mining", "region": code, "year": 2010, "value": v,
             "unit": unit, "share": "", "source": S_MCS12, "confidence": "L", "note": note}
            for code, v, note in [("CHN", 130000, "includes estimated undocumented output; China's own "
                                   "figure for 2011 was 96,900 t (episodes/china_re_export_quotas.csv, "
                                   "M)"),
                                  ("IND", 2800, ""), ("BRA", 550, ""), ("MYS", 30, ""),
                                  ("WLD", 133000, "world total (rounded); CIS not available; "
                                   "cross-check: world demand 2010 124,000 t REO per " + S_IMCOA)]]
    return rows


def control_rows() -> list[dict]:
    """Quota-era measures on rare earths, copied from base's controls.csv (maintained separately)."""
    with (BASE_DIR / "controls.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    keep = set(RE_COMMODITIES) | {"rare_earths", "ndfeb_magnet"}
    out = []
    for r in rows:
        items = {x.strip() for x in r["commodities"].split(";")}
        if items <= keep and r["start"] < "2016":
            out.append(r)
    return out


CONTROL_COLUMNS = ["id", "exporter", "commodities", "measure", "destinations", "end_use", "start", "end",
                   "status", "parameter", "source", "confidence", "note"]

DESCRIPTION = (
    "The rare-earth world of 2010, the starting state of the replay-2010 back-test: rare earths by "
    "element from mine to separated oxide, NdPr metal and sintered NdFeB magnets (no W, Ga, Ge, graphite "
    "or Sb). China ~96 % of mining (USGS MCS2012 for 2010, Russia's loparite added), Mountain Pass idle "
    "(restart 2012), Lynas planned (first feed late 2012), Japan the second magnet maker and a large "
    "importer of oxides and metal, 2010 demand (no EVs, ~1 M hybrids, 39 GW of wind), early-2010 prices "
    "in both zones, the quota-era export measures. Figures not in the project's facts are marked "
    "'recalled ... verify' or 'assumption' with confidence L (docs/replays-data.md)."
)
SOURCES = [
    "USGS Mineral Commodity Summaries 2011/2012, Rare Earths (2010 world mine production; recalled, "
    "to verify)",
    "Japan Metal Bulletin 2010-2012 price reports and USGS MCS2016 year-end prices, as collected in the "
    "project's episodes/re_prices_2010_2015.csv",
    "China's export quotas (MOFCOM via Reuters, China Daily, JMB) and Japan's imports from China "
    "(SMM/Reuters 2010-12-27; Minister Ohata) in the project's episodes/ files",
    "Reuters 2011-07-14 'Q+A: Japan's rare earth market'; Japan Times 2011-01-26 (Sojitz); Roskill; "
    "IMCOA/Kingsnorth 2011 (in the project's demand/ files)",
    "OICA 2010 vehicle production and GWEC 2010 wind installations (recalled, to verify)",
    "Company facts (Molycorp, Lynas, Silmet) as collected in the project's facilities list, with dates "
    "recalled from company announcements (to verify)",
    "spigot assumptions, each stated in the row's note with confidence L",
]


def main() -> None:
    build_nodes()
    info = build_flows()
    add_potential_routes()
    sectors, bom = sector_and_bom_rows()
    OUT.mkdir(parents=True, exist_ok=True)
    b.OUT = OUT  # b.write writes into b.OUT
    b.write("commodities", commodity_rows())
    b.write("regions", region_rows())
    b.write("recipes", RECIPES)
    b.write("nodes", b.NODES)
    b.write("routes", b.ROUTES)
    b.write("sectors", sectors)
    b.write("bom", bom)
    b.write("prices", price_rows())
    b.write("production", production_rows())
    with (OUT / "controls.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CONTROL_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(control_rows())
    meta = {"title": "base-2010", "description": DESCRIPTION, "base_year": YEAR,
            "balance_tolerance": {"relative": 0.05, "absolute_t_per_yr": 1.0}, "sources": SOURCES}
    (OUT / "dataset.yaml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100),
                                      encoding="utf-8")
    print(f"{len(b.NODES)} nodes, {len(b.ROUTES)} routes, {len(sectors)} sectors, {len(bom)} bom rows")
    for k, v in info.items():
        print(f"  {k}: {v:,.3f}")


if __name__ == "__main__":
    main()
