"""Build the bundled dataset ``base`` (src/spigot/datasets/base/) from figures written out below.

Every figure used here was taken from the project's collection of facts (../shared/data, MCS2026
vintage preferred) or is an assumption stated next to it; the script only does the arithmetic that
turns those figures into balanced tables (ore splits, yields, end-use splits, route allocation), so
every derivation is reproducible. Run::

    .venv/bin/python tools/build_base_dataset.py

The committed CSVs are what ships; tests never run this script or read ../shared.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from spigot.datasets.transit import transit

OUT = Path(__file__).resolve().parents[1] / "src" / "spigot" / "datasets" / "base"
YEAR = 2024

# ---------------------------------------------------------------------------------- sources
MCS26 = "USGS Mineral Commodity Summaries 2026"
VIA = " (transcribed via github.com/pranava0x0/usgs-mineral-commodity-summaries @2514d2bf)"
S_RE = f"{MCS26}, Rare Earths, world mine production table" + VIA
S_RE_SAL = f"{MCS26}, Rare Earths, salient statistics (United States)"
S_RE25 = "USGS Mineral Commodity Summaries 2025, Rare Earths, prices table (Argus, FOB China)"
S_W = f"{MCS26}, Tungsten, world mine production table" + VIA
S_GA = f"{MCS26}, Gallium, world primary production table" + VIA
S_GR = f"{MCS26}, Graphite (natural), world mine production table" + VIA
S_SB = f"{MCS26}, Antimony, world mine production table" + VIA
S_GE_WMD = "World Mining Data 2025 (BMF Austria), germanium production table, 2024"
S_ORE_UNVER = ("basics/ore_distribution_UNVERIFIED.csv of the project's facts (recalled from USGS SIR "
               "2010-5220 / Castor & Hedrick 2006; NOT checked against the source)")
S_ORE = ("ore_profiles.csv of the project's facts: Chinese journal abstract 'The properties of rare "
         "earth partitioning in Chinese industrial rare earth ores'; Molycorp 2012")
S_IEA_SEP = "IEA commentary 2025-10-23 (via rareearthexchanges.com): separation and magnet shares 2024"
S_IEA24 = "IEA Global Critical Minerals Outlook 2024, p.179 (via SEAISI 2024-06-03)"
S_OICA = "OICA 2024 production statistics (Visual Capitalist table; Bosson Research 2025 world total)"
S_GEVO25 = "IEA Global EV Outlook 2025, text on 2024 EV production"
S_GEVO24 = "IEA Global EV Outlook 2024 data file, 2023 electric car sales by country"
S_GWEC = "GWEC Global Wind Report 2025 (press reports), 2024 installations"
S_WOODMAC = "Wood Mackenzie onshore wind turbine price insight 2025"
S_SIPRI = "SIPRI Military Expenditure Database, fact sheet April 2025 (2024 spending, current USD)"
S_MAG = ("basics/magnet_intensity.csv of the project's facts (MP Materials and Neo capacity statements; "
         "Fastmarkets 2024 'NdPr about a third of a magnet')")
S_CSRE = "Metalnomist 2024-10 reporting CSRE (Zhang Anwen): NdFeB demand by application 2023"
S_ADAMAS = "Adamas Intelligence via Rare Earth Exchanges, 2025-09: NA+EU magnet use ~40 kt vs <2 kt made"
S_INV = "demand/inventory_and_qualification.csv of the project's facts (Japan Times 2011; limex 2025)"
S_LYNAS = ("Fastmarkets 2024-06-27 (Lynas FY2023 6,142 t NdPr); australianmining.com.au 2025-05-16 "
           "(Mar-qtr 2025 1,509 t NdPr)")
S_MP = "MP Materials 2024 results and 10-K 2024 (Mountain Pass 45,455 t REO; 1,294 t NdPr oxide)"
S_ASSUME = "spigot assumption (see note)"


def derived(formula: str, sources: str) -> str:
    return f"derived: {formula} from {sources}"


# ---------------------------------------------------------------------------------- regions
EU27 = ["AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
        "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
        "SWE"]
COUNTRIES = {
    "CHN": "China", "USA": "United States", "JPN": "Japan", "KOR": "Korea, Republic of",
    "DEU": "Germany", "FRA": "France", "ITA": "Italy", "EST": "Estonia", "IND": "India",
    "VNM": "Viet Nam", "AUS": "Australia", "MYS": "Malaysia", "MMR": "Myanmar",
    "RUS": "Russian Federation", "TJK": "Tajikistan",
}
EU_LISTED = [c for c in COUNTRIES if c in EU27]
EU_OTHER_MEMBERS = [c for c in EU27 if c not in EU_LISTED]

CONSUMERS = ["USA", "JPN", "KOR", "DEU", "FRA", "ITA", "IND", "VNM", "CHN", "EU_OTHER", "ROW"]

# ---------------------------------------------------------------------------------- commodities
COMMODITIES = [
    # id, name, group, stage, basis, element, hs, note
    ("re_concentrate", "Rare-earth concentrate (light: bastnaesite/monazite)", "rare_earths", "mining",
     "REO", "La-Lu+Y", "253090", "light-REE ores: Bayan Obo, Sichuan/Shandong, Mountain Pass, "
     "Mount Weld, monazite; t of REO contained"),
    ("re_concentrate_ionic", "Ion-adsorption clay concentrate (mixed carbonate, heavy-rich)",
     "rare_earths", "mining", "REO", "La-Lu+Y", "284690", "southern China, Myanmar, Laos clays; t REO"),
    ("la_oxide", "Lanthanum oxide", "rare_earths", "separation", "REO", "La", "284690", ""),
    ("ce_oxide", "Cerium oxide", "rare_earths", "separation", "REO", "Ce", "284610", ""),
    ("ndpr_oxide", "Neodymium-praseodymium oxide", "rare_earths", "separation", "REO", "Nd+Pr",
     "284690", "Pr and Nd are traded together as NdPr (didymium) oxide; they are resolved separately "
     "only in ore profiles and statistics"),
    ("sm_oxide", "Samarium oxide", "rare_earths", "separation", "REO", "Sm", "284690", ""),
    ("gd_oxide", "Gadolinium oxide", "rare_earths", "separation", "REO", "Gd", "284690", ""),
    ("tb_oxide", "Terbium oxide (Tb4O7)", "rare_earths", "separation", "REO", "Tb", "284690", ""),
    ("dy_oxide", "Dysprosium oxide (Dy2O3)", "rare_earths", "separation", "REO", "Dy", "284690", ""),
    ("y_oxide", "Yttrium oxide", "rare_earths", "separation", "REO", "Y", "284690", ""),
    ("other_ree_oxide", "Other rare-earth oxides (Eu, Ho, Er, Tm, Yb, Lu; mixed heavy concentrate)",
     "rare_earths", "separation", "REO", "Eu+Ho+Er+Tm+Yb+Lu", "284690",
     "grouped: each is small; includes Lynas's mixed SEG/heavy concentrate sold for separation"),
    ("ndpr_metal", "NdPr metal", "rare_earths", "metal", "metal", "Nd+Pr", "280530", ""),
    ("ndfeb_magnet", "Sintered NdFeB permanent magnet", "ndfeb_magnet", "magnet", "product",
     "Nd+Pr+Dy+Tb", "850511", "t of finished magnet"),
    ("tungsten_concentrate", "Tungsten concentrate (wolframite/scheelite)", "tungsten", "mining",
     "metal", "W", "261100", "t of contained W"),
    ("tungsten_apt", "Ammonium paratungstate (APT) and tungsten oxides", "tungsten", "refining",
     "metal", "W", "284180;282590", "t of contained W"),
    ("gallium", "Gallium metal (primary low-purity)", "gallium", "refining", "metal", "Ga", "811292",
     "by-product of alumina refining"),
    ("germanium", "Germanium metal and dioxide (Ge content)", "germanium", "refining", "metal", "Ge",
     "811292;282560", "by-product of zinc refining and coal fly ash"),
    ("graphite_natural", "Natural graphite (flake and amorphous)", "graphite", "mining", "product",
     "C", "250410;250490", "t of graphite concentrate"),
    ("graphite_anode", "Natural-graphite battery anode material (spherical, purified, coated)",
     "graphite", "refining", "product", "C", "250410;380190",
     "synthetic-graphite anode is out of scope; spherical graphite trades under 250410, coated "
     "anode under 380190 (not in hs_codes.csv)"),
    ("antimony_concentrate", "Antimony concentrate (stibnite)", "antimony", "mining", "metal", "Sb",
     "261710", "t of contained Sb"),
    ("antimony", "Antimony metal and trioxide (Sb content)", "antimony", "refining", "metal", "Sb",
     "811010;282580", "t of contained Sb"),
]
BASIS = {c[0]: c[4] for c in COMMODITIES}
UNIT_YR = {"REO": "t REO/yr", "metal": "t metal/yr", "product": "t product/yr"}

# ---------------------------------------------------------------------------------- ore profiles
# Fractions of 1 t REO going to each separated product (REO basis). Outputs that sum below 1 are a
# process loss (stated per recipe). Element groups: ndpr = Pr + Nd; other = Eu + Ho..Lu.
ORE = {
    "sep_bayan_obo": {
        "src": S_ORE_UNVER + "; Ce 50 % and LREE > 95 % confirmed by " + S_ORE,
        "profile": {"la": 23.0, "ce": 50.0, "ndpr": 6.2 + 18.5, "sm": 0.8, "gd": 0.7, "tb": 0.1,
                    "dy": 0.1, "y": 0.2, "other": 0.2},
        "loss": 0.03,
        "note": ("Bayan Obo bastnaesite-monazite (also used for Sichuan/Shandong bastnaesite): "
                 "La 23.0, Ce 50.0, Pr 6.2, Nd 18.5, Sm 0.8, Eu 0.2, Gd 0.7, Tb 0.1, Dy 0.1, Y 0.2 % of "
                 "REO (UNVERIFIED table: values recalled, not checked against USGS SIR 2010-5220; "
                 "confidence L); each output x (1 - 0.03 process loss)"),
    },
    "sep_mountain_pass": {
        "src": S_ORE_UNVER + "; LREE 99 % confirmed by " + S_ORE,
        "profile": {"la": 33.8, "ce": 49.6, "ndpr": 4.1 + 11.2, "sm": 0.9, "gd": 0.2, "tb": 0.0,
                    "dy": 0.0, "y": 0.1, "other": 0.1},
        "loss": 0.03,
        "note": ("Mountain Pass bastnaesite: La 33.8, Ce 49.6, Pr 4.1, Nd 11.2, Sm 0.9, Eu 0.1, Gd 0.2, "
                 "Y 0.1 % of REO (UNVERIFIED table, confidence L); each output x (1 - 0.03 loss)"),
    },
    "sep_ionic_clay": {
        "src": S_ORE_UNVER + "; Longnan Y2O3 64.83 % confirmed by " + S_ORE,
        "profile": {"la": (1.8 + 43.4) / 2, "ce": (0.4 + 2.4) / 2, "ndpr": (0.7 + 3.0 + 9.0 + 31.7) / 2,
                    "sm": (2.8 + 3.9) / 2, "gd": (6.9 + 3.0) / 2, "tb": 1.3 / 2, "dy": 6.7 / 2,
                    "y": (65.0 + 8.0) / 2,
                    "other": (0.1 + 1.6 + 4.9 + 0.7 + 2.5 + 0.4 + 0.5) / 2},
        "loss": 0.05,
        "note": ("ion-adsorption clay blend (assumption L): 50 % Longnan high-Y type + 50 % Xunwu "
                 "LREE type, element by element from the UNVERIFIED table (Longnan: La 1.8 Ce 0.4 Pr 0.7 "
                 "Nd 3.0 Sm 2.8 Eu 0.1 Gd 6.9 Tb 1.3 Dy 6.7 Ho-Lu 10.1 Y 65.0; Xunwu: La 43.4 Ce 2.4 "
                 "Pr 9.0 Nd 31.7 Sm 3.9 Eu 0.5 Gd 3.0 Y 8.0); applied to southern China and Myanmar "
                 "feed; each output x (1 - 0.05 loss); confidence L"),
    },
    "sep_mount_weld": {
        "src": S_ASSUME,
        "profile": {"la": 25.5, "ce": 46.7, "ndpr": 5.3 + 18.5, "other": 2.3 + 0.4 + 1.0 + 0.07 + 0.12
                    + 0.3},
        "loss": 0.03,
        "note": ("Mount Weld CLD (Lynas) assumed distribution La 25.5, Ce 46.7, Pr 5.3, Nd 18.5 % of REO; "
                 "the Sm-Eu-Gd-Tb-Dy-Y fraction (~4.2 %) left Kuantan in 2024 as a mixed heavy "
                 "(SEG/SEGH) concentrate sold for separation and is booked as other_ree_oxide; values "
                 "recalled from Lynas investor material, not in the project's facts (confidence L); "
                 "each output x (1 - 0.03 loss); Kalgoorlie cracking folded into this step"),
    },
    "sep_monazite": {
        "src": S_ASSUME,
        "profile": {"la": 22.0, "ce": 46.0, "ndpr": 5.0 + 18.0, "sm": 3.0, "gd": 1.8, "tb": 0.3,
                    "dy": 0.9, "y": 2.0, "other": 1.0},
        "loss": 0.04,
        "note": ("typical heavy-mineral-sand monazite (assumption L: La 22, Ce 46, Pr 5, Nd 18, Sm 3, "
                 "Gd 1.8, Tb 0.3, Dy 0.9, Y 2, other 1 % of REO; generic textbook ranges, not in the "
                 "project's facts); used for monazite and other imported concentrates, India, Russia "
                 "(loparite treated alike), Estonia; each output x (1 - 0.04 loss)"),
    },
    "sep_monazite_light": {
        "src": S_ASSUME,
        "profile": {"la": 22.0, "ce": 46.0, "ndpr": 5.0 + 18.0, "sm": 3.0,
                    "other": 1.8 + 0.3 + 0.9 + 2.0 + 1.0},
        "loss": 0.04,
        "note": ("light-REE separation of monazite-type feed (same assumed distribution as "
                 "sep_monazite); plants without a heavy circuit (Silmet, IREL, Solikamsk, White Mesa "
                 "phase 1) ship the Gd-Tb-Dy-Y-Ho..Lu fraction (~6 % of REO) as a mixed heavy "
                 "concentrate, booked as other_ree_oxide; each output x (1 - 0.04 loss); confidence L"),
    },
}
OXIDE_OF = {"la": "la_oxide", "ce": "ce_oxide", "ndpr": "ndpr_oxide", "sm": "sm_oxide",
            "gd": "gd_oxide", "tb": "tb_oxide", "dy": "dy_oxide", "y": "y_oxide",
            "other": "other_ree_oxide"}

ND_YIELD = 0.857  # t Nd per t Nd2O3 = 2 x 144.24 / (2 x 144.24 + 3 x 16.00)
DY_OX = 0.871  # t Dy per t Dy2O3
TB_OX = 0.851  # t Tb per t Tb4O7 (4 x 158.93 / (4 x 158.93 + 7 x 16.00))
MAG_NDPR_METAL = 0.31  # t NdPr metal per t NdFeB
MAG_DY_METAL = 0.006  # t Dy per t NdFeB (fleet average; standard grades 0.6-1.2 %)
MAG_TB_METAL = 0.0018  # t Tb per t NdFeB (average with grain-boundary diffusion)
SPHERO_YIELD = 0.45  # t spherical anode per t flake


def recipes() -> list[dict]:
    rows = []

    def add(recipe, commodity, role, coef, source, note=""):
        rows.append({"recipe": recipe, "commodity": commodity, "role": role,
                     "coefficient": round(coef, 6), "source": source, "note": note})

    add("mine_re", "re_concentrate", "output", 1, "definition", "activity = t REO mined")
    add("mine_re_ionic", "re_concentrate_ionic", "output", 1, "definition",
        "activity = t REO in ionic-clay concentrate")
    for recipe, spec in ORE.items():
        feed = "re_concentrate_ionic" if recipe == "sep_ionic_clay" else "re_concentrate"
        add(recipe, feed, "input", 1, "definition", "activity = t REO fed to separation")
        for key, pct in spec["profile"].items():
            if pct <= 0:
                continue
            add(recipe, OXIDE_OF[key], "output", pct / 100 * (1 - spec["loss"]), spec["src"],
                spec["note"])
    add("sep_lynas_heavy", "other_ree_oxide", "input", 1, "definition",
        "activity = t of mixed heavy (SEGH) concentrate processed in Lynas Malaysia's heavy circuit")
    for ox, share, note in [
        ("sm_oxide", 0.50, "Sm ~2.3 of ~4.2 % REO in SEGH"), ("gd_oxide", 0.22, "Gd ~1.0 of 4.2 %"),
        ("dy_oxide", 0.03, "Dy ~0.12 of 4.2 %"), ("tb_oxide", 0.017, "Tb ~0.07 of 4.2 %"),
        ("y_oxide", 0.07, "Y ~0.3 of 4.2 %")]:
        add("sep_lynas_heavy", ox, "output", share, S_ASSUME,
            f"{note} (assumed Mount Weld distribution, L); Eu/Ho remain unrecovered (loss ~16 %)")
    add("reduce_ndpr", "ndpr_metal", "output", 1, "definition", "activity = t NdPr metal")
    add("reduce_ndpr", "ndpr_oxide", "input", 1 / ND_YIELD, "stoichiometry",
        f"1 / {ND_YIELD} t oxide per t metal: Nd2O3 -> Nd yield 2 x 144.24 / 336.48 = {ND_YIELD} "
        "(Pr6O11 -> Pr 0.828 is close; Nd factor used for NdPr); no further process loss assumed")
    add("make_ndfeb", "ndfeb_magnet", "output", 1, "definition", "activity = t finished magnet")
    add("make_ndfeb", "ndpr_metal", "input", MAG_NDPR_METAL, S_MAG,
        "NdPr about a third of magnet mass (Fastmarkets; MP): 0.31 t NdPr metal per t NdFeB")
    add("make_ndfeb", "dy_oxide", "input", MAG_DY_METAL / DY_OX,
        "basics/magnet_intensity.csv (Dy 0.6-1.2 % in standard grades; GBD cuts Dy 50-70 %)",
        f"assumed fleet-average {MAG_DY_METAL * 100:.1f} % Dy metal, as oxide: {MAG_DY_METAL} / "
        f"{DY_OX} (Dy2O3 -> Dy) = {MAG_DY_METAL / DY_OX:.5f} t Dy2O3 per t magnet (L)")
    add("make_ndfeb", "tb_oxide", "input", MAG_TB_METAL / TB_OX,
        "basics/magnet_intensity.csv; demand/magnet_intensity_by_unit.csv (grades, GBD)",
        f"assumed fleet-average {MAG_TB_METAL * 100:.2f} % Tb metal, as oxide: {MAG_TB_METAL} / "
        f"{TB_OX} (Tb4O7 -> Tb) = {MAG_TB_METAL / TB_OX:.5f} t Tb4O7 per t magnet (L)")
    add("mine_w", "tungsten_concentrate", "output", 1, "definition", "activity = t W in concentrate")
    add("refine_apt", "tungsten_apt", "output", 1, "definition", "activity = t W in APT")
    add("refine_apt", "tungsten_concentrate", "input", 1.0, S_ASSUME,
        "t W to t W; conversion losses (~1-2 %) neglected; scrap feed (about a third of W supply) "
        "is not tracked")
    add("refine_ga", "gallium", "output", 1, "definition",
        "by-product of alumina refining: no tracked input; activity = t Ga")
    add("refine_ge", "germanium", "output", 1, "definition",
        "by-product of zinc refining / coal fly ash: no tracked input; activity = t Ge")
    add("mine_graphite", "graphite_natural", "output", 1, "definition",
        "activity = t natural graphite concentrate")
    add("make_anode", "graphite_anode", "output", 1, "definition", "activity = t anode material")
    add("make_anode", "graphite_natural", "input", 1 / SPHERO_YIELD, S_ASSUME,
        f"spheronisation and purification yield {SPHERO_YIELD} t spherical graphite per t flake "
        "(industry range 0.4-0.5; assumption L): 1 / 0.45 t flake per t anode")
    add("mine_sb", "antimony_concentrate", "output", 1, "definition", "activity = t Sb in concentrate")
    add("refine_sb", "antimony", "output", 1, "definition", "activity = t Sb in metal/trioxide")
    add("refine_sb", "antimony_concentrate", "input", 1.0, S_ASSUME,
        "t Sb to t Sb; smelting losses neglected (assumption)")
    return rows


RECIPE_ROWS = recipes()


def recipe_outputs(recipe: str) -> dict[str, float]:
    return {r["commodity"]: r["coefficient"] for r in RECIPE_ROWS
            if r["recipe"] == recipe and r["role"] == "output"}


def recipe_inputs(recipe: str) -> dict[str, float]:
    return {r["commodity"]: r["coefficient"] for r in RECIPE_ROWS
            if r["recipe"] == recipe and r["role"] == "input"}


# ---------------------------------------------------------------------------------- nodes
NODES: list[dict] = []


def node(id_, name, region, stage, kind, recipe, capacity, output, source, confidence, note="",
         status="operating", start="", ramp_weeks=0, year=YEAR):
    unit = UNIT_YR[BASIS[_reference(recipe)]]
    NODES.append({"id": id_, "name": name, "region": region, "stage": stage, "kind": kind,
                  "recipe": recipe, "capacity": round(capacity, 3), "output": round(output, 3),
                  "unit": unit, "status": status, "start": start, "ramp_weeks": ramp_weeks,
                  "year": year, "source": source, "confidence": confidence, "note": note})


def _reference(recipe: str) -> str:
    outs = [r for r in RECIPE_ROWS if r["recipe"] == recipe and abs(r["coefficient"] - 1) < 1e-9]
    outs.sort(key=lambda r: r["role"] != "output")
    return outs[0]["commodity"]


def node_row(node_id: str) -> dict:
    """The node ``node_id`` as declared so far (a row of ``NODES``)."""
    return next(n for n in NODES if n["id"] == node_id)


def output_of(node_id: str) -> float:
    return node_row(node_id)["output"]


def region_of(node_id: str) -> str:
    return node_row(node_id)["region"]


# Rare-earth mining (MCS2026, 2024). China's quota split: MIIT 2024 total 270,000 t of which
# ion-adsorption (medium/heavy) 19,150 t.
CHN_IONIC = 19150
S_QUOTA = ("MIIT/MNR 2024 rare-earth mining control indicators as reported by the press "
           "(total 270,000 t REO = USGS MCS2026 China figure; ion-adsorption quota 19,150 t)")
SEP_MP_NDPR = 1294.0
MP_SEP_FEED = SEP_MP_NDPR / recipe_outputs("sep_mountain_pass")["ndpr_oxide"]
US_MINE = 45500.0
LYNAS_NDPR_2024 = 5600.0
LYNAS_FEED = LYNAS_NDPR_2024 / recipe_outputs("sep_mount_weld")["ndpr_oxide"]
AUS_MINE = 29000.0
RE_ROW = {"MDG": 1400, "THA": 2100, "NGA": 1500, "BRA": 560, "VNM": 300, "MYS": 140, "other": 1000}
SILMET_FEED = 2000.0


def build_nodes() -> None:
    node("re_mine_chn", "China rare-earth mining (light ores: Bayan Obo, Sichuan, Shandong)", "CHN",
         "mining", "country", "mine_re", 270000 - CHN_IONIC, 270000 - CHN_IONIC,
         derived("270,000 - 19,150 ionic quota", f"{S_RE}; {S_QUOTA}"), "M",
         "light-ore share of China's 2024 mining quota; the quota excludes undocumented output "
         "(USGS); capacity set to the quota")
    node("re_mine_chn_ionic", "China ion-adsorption clay mining (Jiangxi, Guangdong, Fujian...)", "CHN",
         "mining", "country", "mine_re_ionic", CHN_IONIC, CHN_IONIC, S_QUOTA, "M",
         "2024 ion-adsorption (medium/heavy) quota; capacity set to the quota")
    node("re_mine_mmr", "Myanmar rare-earth mining (Kachin ionic clays)", "MMR", "mining", "country",
         "mine_re_ionic", 43000, 27000, S_RE + " (estimated from China's import data)", "M",
         "capacity = 2023 peak 43,000 t (MCS2025); almost all shipped to China as mixed carbonate")
    node("mountain_pass", "MP Materials Mountain Pass mine and concentrator (California)", "USA",
         "mining", "facility", "mine_re", 50000, US_MINE, f"{S_RE}; {S_MP}", "H",
         "USGS 45,500 t REO (MP reports 45,455 t); capacity assumption 50,000 t (>=40,000 t/yr since "
         "2021; 'Upstream 60K' expansion target 60,000 t); the whole US mine output")
    node("lynas_mount_weld", "Lynas Mount Weld mine (Western Australia)", "AUS", "mining", "facility",
         "mine_re", 10500 / recipe_outputs("sep_mount_weld")["ndpr_oxide"], LYNAS_FEED,
         derived(f"{LYNAS_NDPR_2024:.0f} t NdPr in 2024 / NdPr yield of the Mount Weld recipe",
                 S_LYNAS), "L",
         "assumption: calendar-2024 NdPr output 5,600 t (FY2023 6,142 t; Mar-qtr 2025 1,509 t "
         "annualises to ~6,000 t); capacity = 10,500 t/yr NdPr nameplate / NdPr yield")
    node("re_mine_aus", "Australia other rare-earth mining (mineral sands monazite, xenotime)", "AUS",
         "mining", "country", "mine_re", AUS_MINE - LYNAS_FEED, AUS_MINE - LYNAS_FEED,
         derived("USGS Australia 29,000 t - Mount Weld", f"{S_RE}; {S_LYNAS}"), "L",
         "country total minus the named facility; exported to China as concentrate (assumption)")
    node("re_mine_ind", "India rare-earth mining (IREL monazite)", "IND", "mining", "country",
         "mine_re", 2900, 2900, S_RE, "H", "")
    node("re_mine_rus", "Russia rare-earth mining (Lovozero loparite)", "RUS", "mining", "country",
         "mine_re", 2600, 2600, S_RE, "H", "processed at Solikamsk")
    row_total = sum(RE_ROW.values())
    node("re_mine_row", "Rest-of-world rare-earth mining", "ROW", "mining", "country", "mine_re",
         row_total, row_total, S_RE, "H",
         "aggregate of small producers, t REO 2024: " + ", ".join(f"{k} {v}" for k, v in RE_ROW.items())
         + " (USGS 'other countries')")
    node("niocorp_elk_creek", "NioCorp Elk Creek (Nebraska), planned", "USA", "mining", "facility",
         "mine_re", 0, 0, "metaltechnews 2024-05-08; cruxinvestor 2026 (facilities.csv)", "M",
         "planned Nb-Sc-Ti-REE project; REE output not quantified in the 2022 feasibility study, so "
         "capacity is 0 until published; start = assumption (financing targeted Q2-2026 plus ~3 years "
         "of construction)", status="planned", start="2029", ramp_weeks=104)

    # separation
    node("re_sep_chn_light", "China separation of light ores (Baotou, Sichuan, Shandong)", "CHN",
         "separation", "country", "sep_bayan_obo", 270000, 270000 - CHN_IONIC,
         derived("equal to the domestic light-ore mine output", S_RE), "M",
         "all of China's light-ore output separated domestically; capacity assumption (China "
         "separation quota 2024 ~254,000 t covers all Chinese separation; spare capacity exists)")
    node("re_sep_chn_mp", "China separation of Mountain Pass concentrate (Shenghe and others)", "CHN",
         "separation", "country", "sep_mountain_pass", 50000, US_MINE - MP_SEP_FEED,
         derived("US mine output 45,500 - MP's own separation feed", f"{S_RE_SAL}; {S_MP}"), "M",
         "US exports of ores and compounds 37,500 t REO in 2024 (USGS) agree; MP halted shipments to "
         "China in April 2025")
    node("re_sep_chn_ionic", "China separation of ionic-clay concentrate (Jiangxi, Guangdong, Fujian)",
         "CHN", "separation", "country", "sep_ionic_clay", 70000, CHN_IONIC + 27000,
         derived("China ionic quota 19,150 + Myanmar 27,000", f"{S_RE}; {S_QUOTA}"), "M",
         "capacity assumption L")
    node("re_sep_chn_monazite", "China separation of imported monazite and other concentrates", "CHN",
         "separation", "country", "sep_monazite", 30000, 0, S_ASSUME, "L",
         "output set by the routes from Australia and ROW mining (see routes)")
    node("mp_mountain_pass_sep", "MP Materials Mountain Pass separation (California)", "USA",
         "separation", "facility", "sep_mountain_pass", 20000,
         MP_SEP_FEED, derived("1,294 t NdPr oxide / NdPr yield of the Mountain Pass recipe", S_MP), "M",
         "capacity assumption 20,000 t REO/yr (L); USGS US production of compounds and metals 4,300 t "
         "REO in 2024 counts products, not feed")
    node("lynas_kuantan", "Lynas Malaysia, Kuantan/Gebeng (with Kalgoorlie cracking)", "MYS",
         "separation", "facility", "sep_mount_weld", 10500 / recipe_outputs("sep_mount_weld")["ndpr_oxide"],
         LYNAS_FEED, derived("equal to Mount Weld feed", S_LYNAS), "L",
         "NdPr capacity 10,500 t/yr (upgraded from 7,200) expressed as REO feed")
    node("lynas_kuantan_heavy", "Lynas Malaysia heavy rare-earth circuit (Dy, Tb)", "MYS", "separation",
         "facility", "sep_lynas_heavy", 1500, 0, "australianmining.com.au 2025-05-16; Fastmarkets "
         "2024-06-27 (facilities.csv)", "H",
         "1,500 t/yr SEGH feed; first Dy oxide May 2025, first Tb June 2025; no output in 2024 "
         "(status is the base-year status: ramping since May 2025)",
         status="planned", start="2025-05", ramp_weeks=52)
    node("re_sep_ind", "India separation (IREL, Odisha)", "IND", "separation", "country",
         "sep_monazite_light",
         5000, 2900, derived("equal to India's mine output", S_RE), "M", "capacity assumption L")
    node("re_sep_rus", "Russia separation (Solikamsk)", "RUS", "separation", "country", "sep_monazite_light",
         5000, 2600, derived("equal to Russia's mine output", S_RE), "M",
         "loparite treated with the monazite split (assumption L)")
    node("neo_silmet", "Neo Performance Materials Silmet (Sillamae)", "EST", "separation", "facility",
         "sep_monazite_light", 3000, SILMET_FEED,
         "Argus Media (Narva groundbreaking) via facilities.csv", "L",
         "capacity 3,000 t/yr light REE (H); 2024 throughput assumed 2,000 t REO from imported "
         "concentrate (assumption L)")
    node("solvay_la_rochelle", "Solvay La Rochelle (France)", "FRA", "separation", "facility",
         "sep_monazite", 1000, 0, "C&EN 2024-06-24; rawmaterials.net wk46-2025 (facilities.csv)", "L",
         "capacity not retrieved: 1,000 t REO/yr is a placeholder (assumption L); first separated "
         "Nd/NdPr sales targeted 2025; existing La/Ce lines run on intermediates not tracked here "
         "(base-year status of the new line)",
         status="planned", start="2025", ramp_weeks=52)
    node("iluka_eneabba", "Iluka Eneabba refinery (Western Australia)", "AUS", "separation", "facility",
         "sep_monazite", 12100, 0, "nsenergybusiness; miningmagazine.com.au; metalnomist 2025-01 "
         "(facilities.csv)", "M",
         "capacity 12,100-18,400 t/yr REO per metalnomist (verify): lower bound used; under "
         "construction, commissioning 2027; NdPr, Dy, Tb oxides", status="planned", start="2027",
         ramp_weeks=104)
    node("energy_fuels_white_mesa", "Energy Fuels White Mesa Mill (Utah)", "USA", "separation",
         "facility", "sep_monazite_light", 1000 / recipe_outputs("sep_monazite_light")["ndpr_oxide"], 0,
         "engineeringnews.co.za 2024-06-11; metalnomist 2024-08 (facilities.csv)", "M",
         "Phase 1: 850-1,000 t/yr NdPr, expressed as monazite REO feed (1,000 / NdPr yield); "
         "campaign-based; ~12 t NdPr in Q2-2024 is below the balance tolerance, so base output 0; "
         "Phase 2/3 (4,000-6,000 t NdPr) not modelled", status="ramping", start="2024-06",
         ramp_weeks=104)

    # metal
    node("met_chn", "China NdPr metal", "CHN", "metal", "country", "reduce_ndpr", 100000, 0,
         S_ASSUME, "L", "output set by the NdPr balance (all NdPr oxide not used elsewhere)")
    node("met_jpn", "Japan NdPr metal", "JPN", "metal", "country", "reduce_ndpr", 6000, 0, S_ASSUME,
         "L", "output set by imports of Lynas, MP and Indian NdPr oxide (see routes)")
    node("met_vnm", "Viet Nam NdPr metal (metal makers supplying Japanese magnet makers)", "VNM",
         "metal", "country", "reduce_ndpr", 3000, 0, S_ASSUME, "L",
         "output set by Lynas NdPr oxide routed to Viet Nam (see routes)")
    node("mp_independence_metal", "MP Materials Independence NdPr metal (Fort Worth, Texas)", "USA",
         "metal", "facility", "reduce_ndpr", 300, 0, "SEC exhibit 99.1 2025-01-22 (facilities.csv)", "M",
         "NdPr metal commercial from Jan 2025 (base-year status planned; ramping since); capacity "
         "assumption L (metal for 1,000 t magnets)",
         status="planned", start="2025-01", ramp_weeks=52)

    # magnets
    node("mag_chn", "China sintered NdFeB", "CHN", "magnet", "country", "make_ndfeb", 300000, 0,
         f"{S_IEA_SEP}; {S_CSRE}", "M",
         "output = world magnet output (set by NdPr metal supply) minus the other nodes; China "
         "produced 255,200 t sintered NdFeB (blanks basis) in 2023 (CSRE)")
    node("mag_jpn", "Japan sintered NdFeB (Proterial, Shin-Etsu, TDK)", "JPN", "magnet", "country",
         "make_ndfeb", 12000, 9000, S_ASSUME, "L",
         "assumption: ~9,000 t in Japan (IEA: China 94 % of world output; Japanese makers lead the "
         "remainder)")
    node("mag_deu", "EU sintered NdFeB (Vacuumschmelze Hanau and others)", "DEU", "magnet", "country",
         "make_ndfeb", 1500, 1000, S_ADAMAS, "L",
         "assumption: ~1,000 t; Adamas: North America and Europe make < 2,000 t/yr outside Asia")
    node("mag_row", "Rest-of-world sintered NdFeB (Korea, Viet Nam, Thailand, Philippines)", "ROW",
         "magnet", "country", "make_ndfeb", 5000, 3000, S_ASSUME, "L", "assumption")
    node("noveon", "Noveon Magnetics (San Marcos, Texas)", "USA", "magnet", "facility", "make_ndfeb",
         2000, 500, "noveon.co; businessdor.com; rareearthexchanges 2025-09-06 (facilities.csv)", "L",
         "facility built for 2,000 t/yr; 2024 output not published: 500 t assumed (Adamas < 2 kt in "
         "NA + EU)", status="operating")
    node("mp_independence", "MP Materials Independence magnets (Fort Worth, Texas)", "USA", "magnet",
         "facility", "make_ndfeb", 1000, 0, "SEC exhibit 99.1 2025-01-22 (facilities.csv)", "H",
         "1,000 t/yr; supplies GM; magnet ramp late 2025 (base-year status planned; ramping since)",
         status="planned", start="2025-10",
         ramp_weeks=52)
    node("neo_narva", "Neo Performance Materials Narva magnet plant (Estonia)", "EST", "magnet",
         "facility", "make_ndfeb", 2000, 0, "automotiveworld.com 2025-09-19; Argus (facilities.csv)",
         "H", "phase 1 2,000 t/yr opened Sep 2025, commercial ramp 2026; phase 2 5,000 t/yr from 2027 "
         "not modelled; base-year status planned (ramping since Sep 2025)", status="planned",
         start="2025-09", ramp_weeks=52)
    node("usa_rare_earth_stillwater", "USA Rare Earth Stillwater magnet plant (Oklahoma)", "USA",
         "magnet", "facility", "make_ndfeb", 1200, 0, "minelistings.com; SMM 2025-01-09 "
         "(facilities.csv)", "M", "1,200 t/yr initial, 4,800 t/yr nameplate; first magnets Jan 2025 "
         "(lab line), commercial 2026; Round Top mine (late 2028) not modelled", status="planned",
         start="2026", ramp_weeks=52)
    node("vulcan_elements", "Vulcan Elements magnet facility (site TBD)", "USA", "magnet", "facility",
         "make_ndfeb", 10000, 0, "prnewswire 2025-11-03; defensedaily 2025-11-21 (facilities.csv)", "H",
         "10,000 t/yr; OSC loan $620M; current plant expansion 2026, new plant TBD; ramp assumption",
         status="planned", start="2026", ramp_weeks=156)

    # tungsten (t W)
    node("w_mine_chn", "China tungsten mining", "CHN", "mining", "country", "mine_w", 67000, 67000,
         S_W, "H")
    node("w_mine_vnm", "Viet Nam tungsten mining (Nui Phao)", "VNM", "mining", "country", "mine_w", 3400,
         3400, S_W, "H")
    node("w_mine_rus", "Russia tungsten mining", "RUS", "mining", "country", "mine_w", 1500, 1500, S_W,
         "H")
    node("w_mine_aus", "Australia tungsten mining", "AUS", "mining", "country", "mine_w", W_MINE["AUS"],
         W_MINE["AUS"], S_W, "H")
    node("w_mine_eu", "EU tungsten mining (Austria, Spain, Portugal)", "EU_OTHER", "mining", "country",
         "mine_w", W_MINE["EU_OTHER"], W_MINE["EU_OTHER"], S_W, "H", "t W 2024: AUT 840, ESP 700, PRT 650")
    w_mmr = w_china_imports() * W_CHN_SHARE["MMR"]
    node("w_mine_mmr", "Myanmar tungsten mining", "MMR", "mining", "country", "mine_w", w_mmr, w_mmr,
         derived("the world's tungsten concentrate imports of China x Myanmar's share of them in CEPII "
                 "BACI 2024 (HS 261100: 2,390 t of product, 19.5 %; renormalised over exporters with "
                 "a mine node)", S_W), "L",
         "taken out of USGS's 'other countries' (1,700 t W), which lists no Myanmar; WMD 2024 has 40 t, "
         "below the 1.2 kt W that BACI's 2,390 t of product to China contain")
    w_row = {"BOL": 1700.0, "PRK": 1900.0, "RWA": 1300.0, "other": 1700 - w_mmr}
    node("w_mine_row", "Rest-of-world tungsten mining", "ROW", "mining", "country", "mine_w",
         sum(w_row.values()), sum(w_row.values()), S_W, "H",
         "t W 2024: " + ", ".join(f"{k} {v:,.0f}" for k, v in w_row.items())
         + " ('other' less Myanmar's w_mine_mmr)")
    w_in = feed_by_destination(w_concentrate_routes())
    node("w_apt_chn", "China APT", "CHN", "refining", "country", "refine_apt", 90000, w_in["w_apt_chn"],
         S_ASSUME, "L", "domestic concentrate plus imports (routes); scrap feed not tracked")
    node("w_apt_vnm", "Viet Nam APT and oxides (Masan High-Tech Materials)", "VNM", "refining",
         "country", "refine_apt", 5000, w_in["w_apt_vnm"], S_ASSUME, "L",
         "Nui Phao concentrate converted in country, plus Australian concentrate (BACI 2024: "
         "Australia's largest buyer of HS 261100 is Viet Nam)")
    node("w_apt_eur", "Europe APT and tungsten chemicals (Austria, Germany, Sweden)", "EU_OTHER",
         "refining", "country", "refine_apt", 8000, w_in["w_apt_eur"], S_ASSUME, "L",
         "assumption: European and imported concentrate, standing in for a scrap feed that is not "
         "tracked (BACI 2024: the rest of the EU imports 742 t of product); DEU plants folded in")
    node("w_apt_row", "Rest-of-world APT (Japan, Korea, USA, others)", "ROW", "refining", "country",
         "refine_apt", 6000, w_in["w_apt_row"], S_ASSUME, "L", "assumption (see the concentrate routes)")
    node("w_apt_rus", "Russia tungsten conversion (APT, ferrotungsten, hard alloys)", "RUS", "refining",
         "country", "refine_apt", 2000, w_in["w_apt_rus"], S_ASSUME, "L",
         "assumption: Russian concentrate not exported (BACI 2024: 1,584 t of product exported, 1,283 t "
         "to China) is converted in Russia; capacity assumption")

    # gallium (t Ga), germanium (t Ge)
    node("ga_ref_chn", "China primary gallium", "CHN", "refining", "country", "refine_ga", 1600, 839,
         S_GA, "H", "capacity 1,600 t (USGS)")
    node("ga_ref_jpn", "Japan primary gallium", "JPN", "refining", "country", "refine_ga", 10, 3, S_GA,
         "H", "capacity 10 t")
    node("ga_ref_rus", "Russia primary gallium", "RUS", "refining", "country", "refine_ga", 10, 6, S_GA,
         "H", "capacity 10 t; idle capacity elsewhere 100 t (DEU HUN KAZ KOR UKR) not modelled")
    node("ge_ref_chn", "China germanium refining", "CHN", "refining", "country", "refine_ge", 200, 140,
         S_GE_WMD, "M", "USGS publishes no country table; capacity assumption L")
    node("ge_ref_rus", "Russia germanium refining", "RUS", "refining", "country", "refine_ge", 10, 5,
         S_GE_WMD, "M", "estimated (WMD flag e)")
    node("ge_ref_row", "Rest-of-world germanium refining", "ROW", "refining", "country", "refine_ge",
         20, 5, S_GE_WMD, "M",
         "USA 2, JPN 2, COD 1 t (WMD); refining of imported concentrate and scrap in Belgium and "
         "Germany is ge_ref_eur")
    # Refining outside China that USGS's import sources show but no production table reports
    # (issue #17, items 5 and 10): the US buys 82 % of its gallium metal and 59 % of its
    # germanium metal from Canada, Japan, Germany, Belgium and Russia (MCS2026, 2021-24). Their
    # feed is new scrap (wafer and optics manufacturing) and imported low-grade material; the
    # imported part is not tracked (as for W scrap), so each is a source of fixed capacity.
    node("ga_sec_row", "Gallium recovered from new scrap and high-purity refining outside China "
         "(Canada, Japan, Germany, Slovakia, UK, USA)", "ROW", "recycling", "country", "refine_ga",
         60, 30, S_ASSUME, "L",
         "prior: output sized to carry the US's non-China gallium imports (82 % of US use, USGS "
         "import sources 2021-24: Canada 28 %, Japan 22 %, Germany 16 %, other 16 %) plus a few t "
         "for others; feed (new scrap, imported low-grade gallium) not tracked; capacity 2x "
         "output (assumption)")
    node("ge_ref_eur", "European germanium refining and recycling (Umicore, Belgium; Germany)",
         "EU_OTHER", "refining", "country", "refine_ge", 80, 60, S_ASSUME, "L",
         "prior: sources put China's share of refined germanium at 59 % (mining.com 2023), ~70 % "
         "(Project Blue 2025) or 83 % (GLOBSEC 2024); 60 t here gives 67 %, inside that range; "
         "US germanium metal imports 2021-24: Belgium 27 %, Germany 25 % (USGS); feed (imported "
         "concentrate, scrap) not tracked")

    # graphite (t product)
    node("gr_mine_chn", "China natural graphite mining", "CHN", "mining", "country", "mine_graphite",
         1400000, 1270000, S_GR, "H", "capacity = 2025 output (assumption)")
    gr_row = {"MDG": 85000, "BRA": 58000, "MOZ": 39000, "TZA": 27000, "RUS": 20000, "IND": 17600,
              "CAN": 11700, "PRK": 8100, "NOR": 5340, "LKA": 3000, "TUR": 2600, "KOR": 1000, "UKR": 900,
              "MEX": 706, "VNM": 500, "AUT": 100}
    node("gr_mine_row", "Rest-of-world natural graphite mining", "ROW", "mining", "country",
         "mine_graphite", 400000, sum(gr_row.values()), S_GR, "H",
         "t 2024: " + ", ".join(f"{k} {v}" for k, v in gr_row.items()))
    node("gr_anode_chn", "China natural-graphite anode (spheronising, purification, coating)", "CHN",
         "refining", "country", "make_anode", 400000, 0, S_ASSUME, "L",
         "output set by flake routed to it (assumption: 40 % of natural graphite goes to anodes)")
    node("gr_anode_row", "Rest-of-world natural-graphite anode (Korea, Japan, USA)", "ROW", "refining",
         "country", "make_anode", 30000, 0, S_ASSUME, "L", "Posco Future M, Syrah Vidalia and others")

    # antimony (t Sb)
    node("sb_mine_chn", "China antimony mining", "CHN", "mining", "country", "mine_sb", 60000, 40000, S_SB,
         "H", "MCS2025 had 60,000 t for 2024 (revised); capacity assumption")
    node("sb_mine_rus", "Russia antimony mining", "RUS", "mining", "country", "mine_sb", SB_MINE["RUS"],
         SB_MINE["RUS"], S_SB_WMD, "M",
         "WMD 2024 (reported) 24,670 t; USGS MCS2026 40,000 t. WMD is taken: Russia's exports of "
         "concentrate are small in CEPII BACI 2024 (1,290 t of product to China and Hong Kong)")
    node("sb_mine_tjk", "Tajikistan antimony mining", "TJK", "mining", "country", "mine_sb",
         SB_MINE["TJK"], SB_MINE["TJK"], S_SB, "H")
    node("sb_mine_mmr", "Myanmar antimony mining", "MMR", "mining", "country", "mine_sb", SB_MINE["MMR"],
         SB_MINE["MMR"], S_SB_WMD, "M",
         "WMD 2024 (reported) 26,290 t; USGS MCS2026 4,500 t. WMD is taken: Myanmar's exports of "
         "concentrate in CEPII BACI 2024 are 49.8 kt of product (42.2 kt to Thailand, 7.6 kt to "
         "China), ~25 kt Sb at 0.5 t Sb per t (the HS map's factor)")
    node("sb_mine_aus", "Australia antimony mining (Costerfield)", "AUS", "mining", "country", "mine_sb",
         SB_MINE["AUS"], SB_MINE["AUS"], S_SB, "H")
    sb_row = {"BOL": 5300, "others incl. TUR": 5930}
    node("sb_mine_row", "Rest-of-world antimony mining", "ROW", "mining", "country", "mine_sb",
         sum(sb_row.values()), sum(sb_row.values()),
         derived("USGS world 119,000 - listed countries for 'others'", S_SB), "M",
         "t Sb 2024: " + ", ".join(f"{k} {v}" for k, v in sb_row.items()) + "; US output withheld")
    sb_in = feed_by_destination(sb_concentrate_routes())
    node("sb_ref_chn", "China antimony smelting (metal and trioxide)", "CHN", "refining", "country",
         "refine_sb", 120000, sb_in["sb_ref_chn"], S_ASSUME, "L",
         "domestic concentrate plus imports as CEPII BACI 2024's shares (routes); capacity assumption")
    node("sb_ref_tjk", "Tajikistan antimony smelting", "TJK", "refining", "country", "refine_sb", 22000,
         sb_in["sb_ref_tjk"], S_ASSUME, "L",
         "assumption: Tajik concentrate not exported (BACI 2024: 7.1 kt of product exported) is "
         "smelted in country; capacity assumption")
    node("sb_ref_rus", "Russia antimony processing", "RUS", "refining", "country", "refine_sb", 30000,
         sb_in["sb_ref_rus"], S_ASSUME, "L",
         "assumption: Russian concentrate not exported as HS 261710 (BACI 2024: 1,290 t of product) "
         "is treated in Russia or leaves under other codes (gold-antimony concentrate); capacity "
         "assumption")
    node("sb_ref_row", "Rest-of-world antimony smelting (Thailand, Oman, Belgium, Bolivia...)", "ROW",
         "refining", "country", "refine_sb", 30000, sb_in["sb_ref_row"], S_ASSUME, "L",
         "Myanmar's concentrate via Thailand (BACI 2024) plus what the rest of the world keeps")

    build_feed_nodes()
    build_import_separation_nodes()


def feed_node(id_: str, separator: str, name: str, region: str, source: str, note: str) -> None:
    """A project (planned or ramping) mine-stage node that feeds one new separator and nothing else.

    Capacity = the separator's feed capacity (t REO/yr), base output 0, and the separator's
    status, start and ramp, so that the feed comes with the plant; confidence L (assumption).
    """
    sep = node_row(separator)
    node(id_, name, region, "mining", "facility", "mine_re", sep["capacity"], 0, source, "L",
         note + f"; capacity = {separator}'s feed capacity ({sep['capacity']:,.0f} t REO/yr), "
         f"status, start and ramp = {separator}'s so that the feed comes with the plant; base "
         "output 0; its only route goes to the plant (assumption L)",
         status=sep["status"], start=sep["start"], ramp_weeks=sep["ramp_weeks"])


def build_feed_nodes() -> None:
    """Dedicated feed of the new separators (White Mesa, Solvay's new line, Eneabba).

    These plants bring new monazite to the market rather than buying concentrate that existing
    separators already take: fed from `re_mine_aus` and `re_mine_row` (which run at capacity in
    the base year) they took feed from China's monazite line and Neo Silmet and the no-policy
    world's concentrate price drifted up (docs/design.md, Data layer; docs/model.md, Known limits).
    Appended after every other node on purpose: the engine samples project starts node by node
    in index order, so nodes added at the end leave every existing project's sampled start as it
    was.
    """
    feed_node("white_mesa_monazite_feed", "energy_fuels_white_mesa",
              "US/Donald monazite bought by Energy Fuels (feed for White Mesa)", "USA",
              "engineeringnews.co.za 2024-06-11; metalnomist 2024-08 (facilities.csv); " + S_ASSUME,
              "monazite Energy Fuels buys for White Mesa: US heavy-mineral-sands monazite (Chemours, "
              "Georgia/Florida) and later its own Donald project (Australia, with Astron), booked in "
              "USA (suppliers not in the project's facts); Phase 1 only: the Phase 2/3 plan of "
              "40,000-60,000 t/yr monazite (facilities.csv) is not modelled")
    feed_node("solvay_la_rochelle_feed", "solvay_la_rochelle",
              "Concentrate bought for Solvay's new separation line (feed for La Rochelle)", "ROW",
              S_ASSUME,
              "feed contracted for Solvay's new Nd/NdPr line; origin not retrieved, booked in ROW; "
              "the line's 1,000 t REO/yr is itself a placeholder")
    feed_node("iluka_eneabba_feed", "iluka_eneabba",
              "Iluka monazite stockpile and mineral-sands monazite (feed for Eneabba)", "AUS",
              "nsenergybusiness; miningmagazine.com.au; metalnomist 2025-01 (facilities.csv); "
              + S_ASSUME,
              "Iluka's own feed for the Eneabba refinery: monazite stockpiled at Eneabba and monazite "
              "from its mineral-sands operations (not in the project's facts); whether USGS's 2024 "
              "Australian total counts the stockpiled monazite is not known, the node adds supply "
              "beside re_mine_aus")


def lynas_segh(feed: float) -> float:
    """Lynas's mixed heavy (SEGH) concentrate, t REO/yr, from ``feed`` t REO/yr at Kuantan.

    The Sm-Eu-Gd-Tb-Dy-Y fraction of the Mount Weld recipe (after its process loss).
    """
    return feed * recipe_outputs("sep_mount_weld")["other_ree_oxide"]


def build_import_separation_nodes() -> None:
    """Chinese separation of imported intermediates (appended after the feed nodes).

    Lynas's mixed heavy concentrate (SEGH) went to China *for separation* into Sm, Gd, Dy, Tb and
    Y, not to a final use: booked as China's final use of `other_ree_oxide`, it left China's
    supply short once Lynas's heavy circuit (from May 2025) kept part of it at home, and nothing
    else could make more (docs/design.md, Data layer; docs/model.md, Known limits). Appended last
    for the same reason as the feed nodes: the engine samples project starts node by node in
    index order.
    """
    segh = lynas_segh(output_of("lynas_kuantan"))
    cap = lynas_segh(node_row("lynas_kuantan")["capacity"])
    node("re_sep_chn_segh",
         "China separation of imported mixed heavy rare-earth concentrate (Lynas SEGH)", "CHN",
         "separation", "country", "sep_lynas_heavy", cap, segh,
         derived("Lynas Kuantan feed x SEGH (Sm-Eu-Gd-Tb-Dy-Y) fraction of the Mount Weld recipe",
                 f"{S_LYNAS}; {S_ASSUME}"), "L",
         f"output = Lynas's 2024 SEGH concentrate ({segh:,.0f} t REO), which Lynas sold to Chinese "
         "separators (buyers not in the project's facts) until "
         "its own heavy circuit started in May 2025; separated with Lynas's heavy-circuit yields "
         "(recipe sep_lynas_heavy: Sm, Gd, Dy, Tb, Y; Eu/Ho unrecovered, ~16 % loss); capacity "
         f"assumption L: the SEGH Kuantan makes at its nameplate feed ({cap:,.0f} t REO/yr), so "
         "China can take all of it (China's heavy separation capacity is far larger; only the part "
         "that treats Lynas's concentrate is modelled)")


def set_output(node_id: str, value: float) -> None:
    for n in NODES:
        if n["id"] == node_id:
            n["output"] = round(value, 3)
            return
    raise KeyError(node_id)


# ---------------------------------------------------------------------------------- prices
CN_DISCOUNT = 0.88  # China domestic = ex-China x 0.88 where no domestic price is sourced
PRICES = {
    # commodity: (ex_china USD/kg, source, confidence, note, china USD/kg or None)
    "re_concentrate": (3.0, S_ASSUME, "L", "value of contained NdPr (~0.15-0.25 t/t x 55 USD/kg) at "
                       "~30 % payability (assumption)", None),
    "re_concentrate_ionic": (10.0, S_ASSUME, "L", "value of contained NdPr, Dy, Tb, Y at ~35 % "
                             "payability (assumption)", None),
    "la_oxide": (0.97, f"{MCS26}, Rare Earths, prices (La oxide 99.5 %)", "H", "", None),
    "ce_oxide": (1.21, f"{MCS26}, Rare Earths, prices (Ce oxide 99.5 %)", "H", "", None),
    "ndpr_oxide": (55.0, f"{MCS26}, Rare Earths, prices (NdPr oxide 99 %, Argus FOB China)", "H", "",
                   None),
    "sm_oxide": (2.01, f"{MCS26}, Rare Earths, prices (Sm oxide 99.5 %)", "H", "", None),
    "gd_oxide": (28.0, f"{MCS26}, Rare Earths, prices (Gd oxide 99.99 %)", "H", "", None),
    "tb_oxide": (810.0, S_RE25 + " (Tb oxide 99.99 %, 2024 estimate)", "H", "", None),
    "dy_oxide": (260.0, S_RE25 + " (Dy oxide 99.5 %, 2024 estimate)", "H", "", None),
    "y_oxide": (7.0, S_ASSUME, "L", "not in the project's facts; pre-2025 Y oxide traded at single-digit "
                "USD/kg (assumption)", None),
    "other_ree_oxide": (20.0, S_ASSUME, "L", "mix of Eu, Ho, Er, Yb, Lu and mixed heavy concentrate; "
                        "anchored on Eu oxide 27 USD/kg (MCS2026) (assumption)", None),
    "ndpr_metal": (69.0, derived("55 / 0.857 + 5 USD/kg conversion", "MCS2026 NdPr oxide price"), "L",
                   "conversion cost 5 USD/kg is an assumption", None),
    "ndfeb_magnet": (50.0, S_ASSUME, "L", "sintered NdFeB, ex-China; ~0.36 t NdPr oxide per t at 55 "
                     "USD/kg = 20 USD/kg raw material plus processing (assumption)", 44.0),
    "tungsten_concentrate": (252 / 7.93, derived("252 USD/mtu WO3 / 7.93 kg W per mtu",
                                                 f"{MCS26}, Tungsten, prices (Rotterdam concentrate)"),
                             "H", "", None),
    "tungsten_apt": (320 / 7.93, derived("~320 USD/mtu WO3 / 7.93", f"{MCS26}, Tungsten (APT 331 "
                                         "USD/mtu in Jan 2025)"), "M",
                     "2024 average assumed just below the January 2025 APT price", None),
    "gallium": (439.0, f"{MCS26}, Gallium, average unit value of US metal imports 2024", "H", "", 280.0),
    "germanium": (1991.0, f"{MCS26}, Germanium, Argus Europe 99.999 % metal, 2024 average", "H", "",
                  1400.0),
    "graphite_natural": (0.5, S_ASSUME, "L", "flake concentrate ~500 USD/t (assumption)", None),
    "graphite_anode": (3.0, S_ASSUME, "L", "spherical coated natural anode (assumption)", 2.6),
    "antimony_concentrate": (13.5, S_ASSUME, "L", "~60 % payable of the metal price (assumption)",
                             None),
    "antimony": (10.24 * 2.20462, derived("10.24 USD/lb x 2.20462 lb/kg",
                                          f"{MCS26}, Antimony, prices (99.65 % metal)"), "H", "", 19.5),
}


def price_rows() -> list[dict]:
    rows = []
    for c, (ex, src, conf, note, cn) in PRICES.items():
        rows.append({"commodity": c, "zone": "ex_china", "price": round(ex, 4), "year": YEAR,
                     "source": src, "confidence": conf, "note": note})
        if cn is None:
            rows.append({"commodity": c, "zone": "china", "price": round(ex * CN_DISCOUNT, 4),
                         "year": YEAR, "source": derived(f"ex-China price x {CN_DISCOUNT}", src),
                         "confidence": "L",
                         "note": "assumption: China domestic prices (ex-VAT, no export premium) ~12 % "
                         "below FOB China"})
        else:
            why = {"gallium": "export licensing since Aug 2023 separates the markets",
                   "germanium": "export licensing since Aug 2023 separates the markets",
                   "antimony": "export licensing since Sep 2024 separates the markets",
                   }.get(c, "VAT and export premium")
            rows.append({"commodity": c, "zone": "china", "price": cn, "year": YEAR,
                         "source": S_ASSUME, "confidence": "L",
                         "note": f"assumption: China domestic price below ex-China ({why}); not "
                         "sourced"})
    return rows


# ---------------------------------------------------------------------------------- routes
ROUTES: list[dict] = []


def dest_region(dest: str) -> str:
    return dest if dest in set(COUNTRIES) | {"EU_OTHER", "ROW"} else region_of(dest)


def route(commodity, origin, dest, volume, source, confidence, note):
    if round(volume, 3) <= 0:
        return
    rid = f"{commodity}__{origin}__{dest}".lower()
    for r in ROUTES:
        if r["id"] == rid:
            r["volume"] = round(r["volume"] + volume, 3)
            return
    ROUTES.append({"id": rid, "commodity": commodity, "origin": origin, "destination": dest,
                   "volume": round(volume, 3), "unit": UNIT_YR[BASIS[commodity]],
                   "transit_weeks": transit(region_of(origin), dest_region(dest)), "year": YEAR,
                   "source": source, "confidence": confidence, "note": note})


S_ALLOC_DOM = "derived: domestic use served first by producers in the same region (spigot allocation)"
S_ALLOC_EXP = ("derived: remaining supply shipped to the largest remaining deficits; the dominant "
               "producer closes the rest (spigot allocation)")


def allocate(commodity: str, sinks: dict[str, float], *, presets=(), prefer=None) -> None:
    """Route a commodity's supply (node outputs) to sinks (node ids or regions) so both balance.

    presets: (origin, dest, volume, source, confidence, note) known flows, applied first.
    prefer: origin -> list of sink regions treated as 'domestic' for that origin.
    """
    prefer = prefer or {}
    supply = {n["id"]: n["output"] * recipe_outputs(n["recipe"]).get(commodity, 0.0)
              for n in NODES if n["output"] > 0}
    supply = {k: v for k, v in supply.items() if v > 1e-9}
    rem_d = {k: v for k, v in sinks.items() if v > 1e-9}
    total_s, total_d = sum(supply.values()), sum(rem_d.values())
    if abs(total_s - total_d) > max(1.0, 1e-6 * total_s):
        raise ValueError(f"{commodity}: supply {total_s:.3f} != demand {total_d:.3f}")
    rem_s = dict(supply)
    for origin, dest, vol, src, conf, note in presets:
        route(commodity, origin, dest, vol, src, conf, note)
        rem_s[origin] -= vol
        if dest in rem_d:
            rem_d[dest] -= vol
    eps = 1e-3
    # domestic (or preferred) first, smaller producers first
    for origin in sorted(rem_s, key=lambda k: rem_s[k]):
        regions = prefer.get(origin, [region_of(origin)])
        for reg in regions:
            for dest in list(rem_d):
                if rem_s[origin] <= eps:
                    break
                if dest_region(dest) == reg and rem_d[dest] > eps:
                    vol = min(rem_s[origin], rem_d[dest])
                    route(commodity, origin, dest, vol, S_ALLOC_DOM, "L",
                          "derived flow; see docs/data.md (route allocation)")
                    rem_s[origin] -= vol
                    rem_d[dest] -= vol
    filler = max(rem_s, key=lambda k: rem_s[k])
    for _ in range(6):
        for origin in sorted(rem_s, key=lambda k: -rem_s[k]):
            if origin == filler or rem_s[origin] <= eps:
                continue
            open_ = sorted((d for d in rem_d if rem_d[d] > eps), key=lambda d: -rem_d[d])[:3]
            if not open_:
                break
            total = sum(rem_d[d] for d in open_)
            budget = rem_s[origin]
            for dest in open_:
                vol = min(budget * rem_d[dest] / total, rem_d[dest])
                route(commodity, origin, dest, vol, S_ALLOC_EXP, "L",
                      "derived flow; see docs/data.md (route allocation)")
                rem_s[origin] -= vol
                rem_d[dest] -= vol
    for dest in rem_d:
        if rem_d[dest] > eps:
            route(commodity, filler, dest, rem_d[dest], S_ALLOC_EXP, "L",
                  "derived flow from the dominant producer; see docs/data.md (route allocation)")
            rem_s[filler] -= rem_d[dest]
            rem_d[dest] = 0.0
    left = {k: v for k, v in rem_s.items() if abs(v) > max(0.5, 1e-4 * supply[k])}
    if left:
        raise ValueError(f"{commodity}: unallocated supply {left}")


# ---------------------------------------------------------------------------------- demand
VEHICLES = {"CHN": 31281592, "USA": 10562188, "JPN": 8234681, "IND": 6014691, "KOR": 4127252,
            "DEU": 4069222, "FRA": 910243, "ITA": 591067, "VNM": 388500}
VEH_WORLD = 92504338
VEH_EU_OTHER_LISTED = 5943844  # ESP, CZE, SVK, ROU, POL (OICA)
VEH_EU_OTHER_UNLISTED = 1500000  # assumption: HUN, BEL, SWE, PRT, AUT, SVN, FIN, NLD...
EV_EU = 2400000
EV_SALES_2023_EU = {"DEU": 700000, "FRA": 470000, "ITA": 136000}  # BEV + PHEV, IEA GEVO 2024 data
EV_SALES_2023_EU27 = 2450000
EVS = {"CHN": 12400000, "USA": 1170000, "IND": 75000, "JPN": 140000, "KOR": 132000, "VNM": 90000}
EV_WORLD = 17300000
KG_MAG_PER_VEHICLE = 0.4  # small motors, EPS, sensors in every vehicle (assumption L)
KG_MAG_PER_EV = 2.0  # traction motor(s) (plant-capacity statements imply 1.1-2.0 kg)
VEH_VALUE = {"USA": (48724, "Kelley Blue Book Nov 2024 ATP (sector_values.csv)", "H"),
             "CHN": (24000, "IEA GEVO 2025 median BEV price, used for all vehicles (proxy)", "M")}
VEH_VALUE_ASSUMED = {"JPN": 25000, "KOR": 28000, "DEU": 45000, "FRA": 30000, "ITA": 30000,
                     "IND": 12000, "VNM": 20000, "EU_OTHER": 30000, "ROW": 25000}

WIND_MW = {"CHN": 79824, "USA": 4100, "DEU": 4000, "IND": 3400}
WIND_WORLD = 117000
WIND_EU27 = 12900
WIND_VALUE = {"CHN": 250000, "USA": 1100000, "DEU": 1100000, "IND": 600000, "EU_OTHER": 1100000,
              "ROW": 700000}

MILEX_BN = {"USA": 997.0, "CHN": 314.0, "DEU": 88.5, "IND": 86.1, "FRA": 64.7, "JPN": 55.3,
            "KOR": 47.6, "ITA": 38.0}
MILEX_EU_OTHER = 150.0  # assumption: POL 38, NLD ~24, ESP ~22, SWE ~12, others
MILEX_WORLD = 2718.0
EQUIP_SHARE = 0.25

BATTERY_GWH = {"CHN": 1250, "KOR": 60, "JPN": 45, "USA": 90, "DEU": 15, "EU_OTHER": 60, "ROW": 30}

# magnet applications (share of world NdFeB output); automotive is bottom-up, electronics the rest
MAG_SHARE = {"wind": 0.11, "industrial_motors": 0.20, "defence": 0.02}

W_RE = {"CHN": 70, "USA": 4, "JPN": 8, "KOR": 3, "DEU": 2, "FRA": 1.5, "ITA": 1, "IND": 2.5, "VNM": 1,
        "EU_OTHER": 3, "ROW": 4}
SECTOR_WEIGHTS = {
    "electronics": {"CHN": 70, "JPN": 5, "KOR": 5, "VNM": 6, "USA": 2, "DEU": 1, "FRA": 0.5,
                    "ITA": 0.5, "IND": 3, "EU_OTHER": 2, "ROW": 5},
    "industrial_motors": {"CHN": 60, "JPN": 10, "DEU": 6, "USA": 7, "KOR": 4, "ITA": 3, "FRA": 1.5,
                          "EU_OTHER": 3.5, "IND": 2, "ROW": 3},
    "catalysts": {r: W_RE[r] for r in ["CHN", "USA", "JPN", "KOR", "DEU", "IND", "EU_OTHER", "ROW"]},
    "glass_polishing": {r: W_RE[r] for r in ["CHN", "JPN", "KOR", "USA", "DEU", "EU_OTHER", "ROW"]},
    "phosphors": {r: W_RE[r] for r in ["CHN", "JPN", "KOR", "ROW"]},
    "metallurgy": {r: W_RE[r] for r in ["CHN", "JPN", "USA", "DEU", "EU_OTHER", "ROW"]},
    "other": {r: W_RE[r] for r in ["CHN", "JPN", "USA", "DEU", "EU_OTHER", "ROW"]},
    "semiconductors": {"CHN": 45, "JPN": 20, "KOR": 8, "USA": 2.2, "DEU": 4, "EU_OTHER": 2, "ROW": 18.8},
    "optics": {"CHN": 50, "USA": 12, "JPN": 8, "DEU": 5, "FRA": 4, "EU_OTHER": 8, "ROW": 13},
    "batteries": dict(BATTERY_GWH),
    "refractories": {"CHN": 62, "JPN": 6, "KOR": 4, "IND": 6, "USA": 5, "DEU": 3, "EU_OTHER": 6,
                     "ROW": 8},
    "carbide_tools": {"CHN": 55, "USA": 8, "JPN": 8, "DEU": 7, "KOR": 4, "EU_OTHER": 10, "ROW": 8},
    "flame_retardants": {"CHN": 55, "USA": 8, "JPN": 6, "KOR": 5, "DEU": 4, "EU_OTHER": 8, "ROW": 14},
    "lead_acid": {"CHN": 45, "USA": 15, "IND": 12, "EU_OTHER": 10, "ROW": 18},
    "solar_glass": {"CHN": 90, "ROW": 10},
}
# (commodity, sector) -> region weights overriding the sector's default
COMMODITY_WEIGHTS = {
    ("tungsten_apt", "metallurgy"): {"CHN": 58, "USA": 8, "JPN": 7, "DEU": 6, "EU_OTHER": 8,
                                     "ROW": 13},
    ("tungsten_apt", "other"): {"CHN": 58, "USA": 8, "JPN": 7, "DEU": 6, "EU_OTHER": 8, "ROW": 13},
    ("ndpr_oxide", "other"): {"CHN": 70, "JPN": 8, "USA": 4, "DEU": 2, "EU_OTHER": 4, "ROW": 12},
}
# end-use split of each commodity's final use (after use by downstream nodes), in %
USE_SPLIT = {
    "la_oxide": {"catalysts": 45, "glass_polishing": 15, "metallurgy": 30, "other": 10},
    "ce_oxide": {"glass_polishing": 35, "catalysts": 30, "metallurgy": 25, "other": 10},
    "ndpr_oxide": {"other": 100},
    "sm_oxide": {"defence": 15, "other": 85},
    "gd_oxide": {"phosphors": 10, "other": 90},
    "tb_oxide": {"phosphors": 100},
    "dy_oxide": {"other": 100},
    "y_oxide": {"phosphors": 25, "other": 73, "defence": 2},
    "other_ree_oxide": {"phosphors": 30, "other": 70},
    "tungsten_apt": {"carbide_tools": 60, "metallurgy": 30, "defence": 3, "other": 7},
    "gallium": {"semiconductors": 80, "defence": 5, "other": 15},
    "germanium": {"optics": 65, "defence": 10, "other": 25},
    "graphite_natural": {"refractories": 100},
    "graphite_anode": {"batteries": 100},
    "antimony": {"flame_retardants": 40, "solar_glass": 25, "lead_acid": 25, "defence": 3, "other": 7},
}
SPLIT_NOTES = {
    "la_oxide": "La: FCC catalysts, optical glass and polishing, NiMH/mischmetal alloys (USGS US end "
                "uses MCS2016/2019: catalysts 60 %, glass 10-15 %, polishing 10 %, metallurgy 10 %)",
    "ce_oxide": "Ce: polishing powders, autocatalysts, alloys (USGS US end uses; Binnemans 2018)",
    "ndpr_oxide": "NdPr not made into metal: glass/ceramic colourants, catalysts, alloys (8 % of NdPr, "
                  "assumption L)",
    "sm_oxide": "Sm: SmCo magnets for defence (15 %, assumption) and civil SmCo, ceramics, stock",
    "gd_oxide": "Gd: phosphors 10 %; MRI contrast, Gd-substituted magnets, nuclear 90 % (assumption)",
    "tb_oxide": "Tb not used in NdFeB: green phosphors and other (assumption)",
    "dy_oxide": "Dy not used in sintered NdFeB: bonded magnets, ceramics, lasers (assumption)",
    "y_oxide": "Y: phosphors 25 %, ceramics (YSZ, coatings) and other 73 %, defence 2 % (assumption)",
    "other_ree_oxide": "Eu phosphors 30 %; Er fibre amplifiers, Yb/Ho lasers, other 70 % (assumption)",
    "tungsten_apt": "W: cemented carbides 60 % (USGS MCS2026 US; Roskill >50 % world), steels and "
                    "superalloys 30 %, defence 3 %, chemicals/other 7 % (assumption)",
    "gallium": "Ga: semiconductors (ICs 73 %, optoelectronics 26 % in the US, MCS2026) 80 %, defence "
               "5 %, NdFeB additive/CIGS/other 15 % (Løvik 2015 range; assumption)",
    "germanium": "Ge: fibre + IR optics ~59 % (Ameco 2017) rounded to 65 %, defence 10 %, "
                 "catalysts/solar/electronics 25 % (assumption)",
    "graphite_natural": "natural graphite not spheronised: refractories, foundries, lubricants, brake "
                        "linings, expandables (USGS uses, no shares published)",
    "graphite_anode": "natural-graphite anode: lithium-ion cells",
    "antimony": "Sb: flame retardants 40 %, PV glass 25 % (Fastmarkets 2023 'almost one third'), "
                "antimonial lead and ammunition 25 %, defence 3 %, other 7 % (Roskill 2012; USGS "
                "MCS2026 US 49/40/11 %; assumption)",
}
COST_SHARE = {"electronics": 0.01, "industrial_motors": 0.03, "catalysts": 0.05,
              "glass_polishing": 0.05, "phosphors": 0.10, "metallurgy": 0.02, "other": 0.03,
              "semiconductors": 0.02, "optics": 0.05, "refractories": 0.10, "flame_retardants": 0.10,
              "lead_acid": 0.03, "solar_glass": 0.02}
PRIORITY = {"defence": 1, "glass_polishing": 3, "refractories": 3, "lead_acid": 3, "other": 3,
            "metallurgy": 3}
COVER = {"automotive": 4, "wind": 8, "defence": 26, "electronics": 6, "industrial_motors": 8,
         "catalysts": 8, "glass_polishing": 8, "phosphors": 8, "metallurgy": 6, "other": 8,
         "semiconductors": 8, "optics": 8, "batteries": 4, "refractories": 6, "carbide_tools": 8,
         "flame_retardants": 6, "lead_acid": 4, "solar_glass": 4}
ELASTICITY = {"glass_polishing": -0.3, "catalysts": -0.15, "phosphors": -0.2}


def vehicles() -> dict[str, float]:
    v = dict(VEHICLES)
    v["EU_OTHER"] = VEH_EU_OTHER_LISTED + VEH_EU_OTHER_UNLISTED
    v["ROW"] = VEH_WORLD - sum(v.values())
    return v


def evs() -> dict[str, float]:
    e = dict(EVS)
    for r, s in EV_SALES_2023_EU.items():
        e[r] = EV_EU * s / EV_SALES_2023_EU27
    e["EU_OTHER"] = EV_EU * (1 - sum(EV_SALES_2023_EU.values()) / EV_SALES_2023_EU27)
    e["ROW"] = EV_WORLD - sum(e.values())
    return e


def wind() -> dict[str, float]:
    w = dict(WIND_MW)
    w["EU_OTHER"] = WIND_EU27 - w["DEU"]
    w["ROW"] = WIND_WORLD - WIND_EU27 - w["CHN"] - w["USA"] - w["IND"]
    return w


def defence_output() -> dict[str, float]:
    m = dict(MILEX_BN)
    m["EU_OTHER"] = MILEX_EU_OTHER
    m["ROW"] = MILEX_WORLD - sum(m.values())
    return {r: v * 1000 * EQUIP_SHARE for r, v in m.items()}  # USD million of equipment


def split(total: float, weights: dict[str, float]) -> dict[str, float]:
    s = sum(weights.values())
    return {r: total * w / s for r, w in weights.items()}


# ---------------------------------------------------------------------------------- build
DEMAND: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)  # (region, sector) -> c -> t/yr


def supply_total(c: str) -> float:
    return sum(n["output"] * recipe_outputs(n["recipe"]).get(c, 0.0) for n in NODES)


def node_needs(c: str) -> dict[str, float]:
    return {n["id"]: n["output"] * recipe_inputs(n["recipe"]).get(c, 0.0) for n in NODES
            if n["output"] > 0 and recipe_inputs(n["recipe"]).get(c, 0.0) > 0}


def region_sinks(c: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for (region, _sector), uses in DEMAND.items():
        out[region] += uses.get(c, 0.0)
    return dict(out)


# Regions whose total use of a commodity is known (t/yr): their sectors' uses are scaled to it,
# the other regions' by one common factor that keeps the world total (= supply).
CHN_GA_EXPORTS_2022 = 94.0
REGION_USE: dict[str, tuple[dict[str, float], str]] = {
    "gallium": ({"CHN": 839.0 - CHN_GA_EXPORTS_2022, "USA": 18.7},
                "China's use = its primary output (839 t, USGS 2024) minus its gallium exports "
                "(about 94 t, wrought and unwrought, GACC 2022 via Reuters: the latest year before "
                "the licences; imports neglected), derived, M: China makes most of the world's "
                "gallium compounds and wafers and exports them downstream of the metal, which the "
                "world does not track; US reported consumption 18.7 t (USGS MCS2026, 2024, H)"),
}


def rescale_region_use(c: str, totals: dict[str, float]) -> None:
    """Scale the sectors' uses of ``c`` so that each region in ``totals`` uses its total and the
    others share the rest of the world's use in their former proportions."""
    by_region: dict[str, float] = defaultdict(float)
    for (r, _sector), uses in DEMAND.items():
        by_region[r] += uses.get(c, 0.0)
    world = sum(by_region.values())
    rest = sum(v for r, v in by_region.items() if r not in totals)
    factor_rest = (world - sum(totals.values())) / rest
    if factor_rest <= 0:
        raise ValueError(f"{c}: the fixed regional uses exceed the world's {world:.1f} t")
    for (r, _sector), uses in DEMAND.items():
        if c in uses:
            uses[c] *= totals[r] / by_region[r] if r in totals else factor_rest


def add_demand(c: str, sector: str, by_region: dict[str, float]) -> None:
    for r, t in by_region.items():
        if t > 0:
            DEMAND[(r, sector)][c] = DEMAND[(r, sector)].get(c, 0.0) + t


def build_flows() -> dict[str, float]:
    info: dict[str, float] = {}
    # --- rare-earth concentrate to separation (known or derived flows)
    set_output("re_sep_chn_monazite", output_of("re_mine_aus") + (sum(RE_ROW.values()) - SILMET_FEED))
    src_mp = f"{S_RE_SAL} (exports of ores and compounds 37,500 t REO); {S_MP}"
    allocate("re_concentrate", node_needs("re_concentrate"), presets=[
        ("re_mine_chn", "re_sep_chn_light", output_of("re_mine_chn"), S_RE, "M",
         "China's light ores are separated in China"),
        ("mountain_pass", "mp_mountain_pass_sep", MP_SEP_FEED, S_MP, "M",
         "derived: 1,294 t NdPr oxide / NdPr yield of the Mountain Pass recipe"),
        ("mountain_pass", "re_sep_chn_mp", US_MINE - MP_SEP_FEED, src_mp, "M",
         "derived: US mine output minus MP's own separation feed; shipped mainly to Shenghe until "
         "April 2025"),
        ("lynas_mount_weld", "lynas_kuantan", LYNAS_FEED, S_LYNAS, "M",
         "Mount Weld concentrate cracked at Kalgoorlie and separated at Kuantan"),
        ("re_mine_aus", "re_sep_chn_monazite", output_of("re_mine_aus"), S_ASSUME, "L",
         "assumption: other Australian concentrate sold to China"),
        ("re_mine_ind", "re_sep_ind", 2900, S_RE, "M", "IREL mines and separates in India"),
        ("re_mine_rus", "re_sep_rus", 2600, S_RE, "M", "Lovozero loparite to Solikamsk"),
        ("re_mine_row", "neo_silmet", SILMET_FEED, S_ASSUME, "L",
         "assumption: Silmet buys imported concentrate/carbonate"),
        ("re_mine_row", "re_sep_chn_monazite", sum(RE_ROW.values()) - SILMET_FEED,
         "USGS MCS2026 Rare Earths (Madagascar, Thailand, Nigeria, Malaysia output 'estimated from "
         "China's import data')", "M", "rest-of-world concentrates are exported to China"),
    ])
    allocate("re_concentrate_ionic", node_needs("re_concentrate_ionic"), presets=[
        ("re_mine_chn_ionic", "re_sep_chn_ionic", CHN_IONIC, S_QUOTA, "M", "domestic"),
        ("re_mine_mmr", "re_sep_chn_ionic", 27000, f"{S_RE}; ore_profiles.csv (Myanmar 57 % of China's "
         "RE imports, CSIS via CNBC 2025)", "M", "Myanmar ships its ionic-clay output to China"),
    ])

    # --- NdPr: non-magnet use, known ex-China flows, then metal and magnets
    ndpr = {n["id"]: n["output"] * recipe_outputs(n["recipe"]).get("ndpr_oxide", 0.0) for n in NODES}
    total_ndpr = sum(ndpr.values())
    other_ndpr = 0.08 * total_ndpr
    src_l = f"{S_LYNAS}; {S_ASSUME}"
    ndpr_presets = [
        ("lynas_kuantan", "met_jpn", 0.50 * ndpr["lynas_kuantan"], src_l, "L",
         "assumption: half of Lynas NdPr to Japanese customers (JARE/Sojitz offtake)"),
        ("lynas_kuantan", "met_vnm", 0.25 * ndpr["lynas_kuantan"], src_l, "L",
         "assumption: a quarter to metal makers in Viet Nam supplying Japanese magnet makers"),
        ("lynas_kuantan", "met_chn", 0.25 * ndpr["lynas_kuantan"], src_l, "L",
         "assumption: a quarter sold into China"),
        ("mp_mountain_pass_sep", "met_jpn", 0.5 * ndpr["mp_mountain_pass_sep"], S_MP, "L",
         "assumption: MP sold its 2024 NdPr oxide to Asian customers, half to Japan"),
        ("mp_mountain_pass_sep", "met_chn", 0.5 * ndpr["mp_mountain_pass_sep"], S_MP, "L",
         "assumption: half to China"),
        ("re_sep_ind", "met_jpn", ndpr["re_sep_ind"], S_ASSUME, "L",
         "assumption: IREL NdPr goes to Japan through Toyotsu Rare Earths India"),
        ("neo_silmet", "met_chn", ndpr["neo_silmet"], S_ASSUME, "L",
         "assumption: Silmet NdPr oxide converted in Neo's Chinese plants"),
    ]
    to_jpn = sum(p[2] for p in ndpr_presets if p[1] == "met_jpn")
    to_vnm = sum(p[2] for p in ndpr_presets if p[1] == "met_vnm")
    to_chn = total_ndpr - other_ndpr - to_jpn - to_vnm
    set_output("met_jpn", to_jpn * ND_YIELD)
    set_output("met_vnm", to_vnm * ND_YIELD)
    set_output("met_chn", to_chn * ND_YIELD)
    metal_total = (to_jpn + to_vnm + to_chn) * ND_YIELD
    magnets = metal_total / MAG_NDPR_METAL
    fixed = sum(output_of(n) for n in ("mag_jpn", "mag_deu", "mag_row", "noveon"))
    set_output("mag_chn", magnets - fixed)
    info.update(total_ndpr=total_ndpr, magnets=magnets, china_magnet_share=(magnets - fixed) / magnets)

    # --- magnet demand by sector and region
    veh, ev = vehicles(), evs()
    auto = {r: (veh[r] * KG_MAG_PER_VEHICLE + ev[r] * KG_MAG_PER_EV) / 1000 for r in veh}
    add_demand("ndfeb_magnet", "automotive", auto)
    add_demand("ndfeb_magnet", "wind", split(MAG_SHARE["wind"] * magnets, wind()))
    add_demand("ndfeb_magnet", "defence", split(MAG_SHARE["defence"] * magnets, defence_output()))
    add_demand("ndfeb_magnet", "industrial_motors",
               split(MAG_SHARE["industrial_motors"] * magnets, SECTOR_WEIGHTS["industrial_motors"]))
    rest = magnets - sum(auto.values()) - sum(MAG_SHARE.values()) * magnets
    if rest <= 0:
        raise ValueError("automotive magnet demand exceeds supply")
    add_demand("ndfeb_magnet", "electronics", split(rest, SECTOR_WEIGHTS["electronics"]))
    info.update(auto_share=sum(auto.values()) / magnets, electronics_share=rest / magnets)

    # --- final uses of the other commodities
    add_demand("ndpr_oxide", "other", split(other_ndpr, COMMODITY_WEIGHTS[("ndpr_oxide", "other")]))
    build_flows_other_nodes()
    for c, shares in USE_SPLIT.items():
        if c == "ndpr_oxide":
            continue
        final = supply_total(c) - sum(node_needs(c).values())
        info[f"final_{c}"] = final
        for sector, pct in shares.items():
            weights = (defence_output() if sector == "defence"
                       else COMMODITY_WEIGHTS.get((c, sector), SECTOR_WEIGHTS[sector]))
            add_demand(c, sector, split(final * pct / 100, weights))
    for c, (totals, _note) in REGION_USE.items():
        rescale_region_use(c, totals)

    # --- allocate every commodity from producers to nodes and regions
    ox_prefer = {"re_sep_rus": ["ROW"], "neo_silmet": ["EU_OTHER", "DEU"],
                 "lynas_kuantan": ["JPN", "CHN"], "re_sep_ind": ["IND", "JPN"],
                 "mp_mountain_pass_sep": ["USA"]}
    ree_presets = us_ree_import_presets()
    for c in ["la_oxide", "ce_oxide", "sm_oxide", "gd_oxide", "tb_oxide", "dy_oxide", "y_oxide"]:
        prefer = {**ox_prefer, **LYNAS_LA_TO} if c == "la_oxide" else ox_prefer
        allocate(c, {**node_needs(c), **region_sinks(c)}, prefer=prefer,
                 presets=[*OXIDE_PRESETS.get(c, ()), *ree_presets.get(c, ())])
    allocate("other_ree_oxide", {**node_needs("other_ree_oxide"), **region_sinks("other_ree_oxide")},
             presets=[("lynas_kuantan", "re_sep_chn_segh", output_of("re_sep_chn_segh"),
                       derived("Lynas Kuantan feed x SEGH fraction of the Mount Weld recipe",
                               f"{S_LYNAS}; {S_ASSUME}"), "L",
                       "Lynas's mixed heavy (SEGH) concentrate shipped to Chinese separators until "
                       "its own heavy circuit started (May 2025)")],
             prefer={**ox_prefer, "lynas_kuantan": ["CHN"], "neo_silmet": ["CHN"],
                     "re_sep_ind": ["CHN"], "re_sep_rus": ["CHN"]})
    allocate("ndpr_oxide", {**node_needs("ndpr_oxide"), **region_sinks("ndpr_oxide")},
             presets=ndpr_presets, prefer=ox_prefer)
    allocate("ndpr_metal", node_needs("ndpr_metal"), prefer={"met_vnm": ["JPN", "ROW"]})
    allocate("ndfeb_magnet", region_sinks("ndfeb_magnet"))
    # graphite_anode before graphite_natural: the natural-graphite routes that follow BACI's
    # HS 250410 (which carries both) count the anode routes in
    for c in ["tungsten_apt", "gallium", "germanium", "graphite_anode", "graphite_natural",
              "antimony"]:
        sinks = {**node_needs(c), **region_sinks(c)}
        us = us_import_presets(c, sinks.get("USA", 0.0))
        presets = [*PRESETS.get(c, ()), *us, *military_only_presets(c)]
        if c == "graphite_natural":
            presets += baci_graphite_presets(presets)
        allocate(c, sinks,
                 prefer={"w_apt_eur": ["EU_OTHER", "DEU"], "gr_anode_row": GR_ANODE_ROW_TO,
                         "ge_ref_rus": ["ROW"], "ga_ref_rus": ["ROW"], "sb_ref_tjk": ["ROW"],
                         "sb_ref_rus": ["ROW"], "w_apt_vnm": ["JPN", "KOR"],
                         "w_apt_rus": ["ROW"]},
                 presets=presets)
    for c in ["tungsten_concentrate", "antimony_concentrate"]:
        allocate(c, node_needs(c), presets=PRESETS[c])
    return info


PRESETS: dict[str, list] = {}

# Lynas Kuantan's La oxide goes to China first, then Japan (its other oxides as ox_prefer: Japan
# first): in CEPII BACI 2024 Malaysia ships 13.7 kt of RE compounds other than cerium (HS 284690,
# mostly La) to China and 1.4 kt to Japan. Its cerium stays Japan-first: with Ce to China too,
# China's own surplus went abroad and its RE-compound exports (60 kt) left the audit's 30 % band
# around BACI's 41.7 kt (docs/design.md, "The base world's routes from BACI").
LYNAS_LA_TO = {"lynas_kuantan": ["CHN", "JPN"]}

# Importers whose natural graphite follows BACI 2024 (HS 250410, natural graphite powder and flake,
# the code spherical anode material is traded under too): each one's imports of the code split
# between China and the rest of the world as BACI's shares of these two exporters do (renormalised
# over them: the world has no other graphite producer), its anode imports counted in. The US is
# not here: it follows USGS's import sources (us_import_presets); China and ROW serve themselves.
BACI_GRAPHITE_IMPORTERS = ["JPN", "IND", "KOR", "DEU", "EU_OTHER"]
BACI_GRAPHITE_ORIGINS = {"CHN": "gr_mine_chn", "ROW": "gr_mine_row"}
BACI_GRAPHITE_HS = "250410"
S_BACI_GR = ("CEPII BACI HS92 2024 (src/spigot/datasets/trade/baci_hs92_2017_2024.csv), HS 250410 "
             "natural graphite powder and flake: the importer's shares of China (incl. Hong Kong) "
             "and the rest of the world")
# Where the rest-of-world anode plants' output goes, in order: Japan first. BACI 2024 has Korea
# buying 97 % of its 250410 from China and Japan 15 % from outside it, so the 6.8 kt of ex-China
# anode material goes to Japan (Korea's anode makers use Chinese spherical graphite).
GR_ANODE_ROW_TO = ["JPN", "KOR", "USA"]


def baci_graphite_presets(presets: list) -> list:
    """Natural-graphite routes that give BACI_GRAPHITE_IMPORTERS BACI 2024's 250410 shares.

    ``presets`` are the graphite routes fixed before (plant feeds, the US's origins). An
    importer's share of ROW is BACI's, plus half the share of the exporters the world has no
    graphite node for (the closest the world's two exporters can come at both); its ROW tonnes
    (t product/yr) are that share of its natural graphite and anode imports, less its anode from
    ROW. Where the rest-of-world mine has more or less left to ship (after its feeds, the US and
    ROW's own use: domestic first, as the allocation rule) than these shares ask, China's
    tonnes to every importer move by one factor: China is the residual supplier, as it is in the
    allocation rule ("the dominant producer closes the rest").
    """
    import pandas as pd  # the build's only use of pandas and the BACI reader

    from spigot.datasets import baci

    flows = baci.trade_flows(YEAR, [BACI_GRAPHITE_HS], pd.DataFrame(region_rows()))
    flows = flows[(flows["exporter_region"] != "") & (flows["importer_region"] != "")
                  & (flows["exporter_region"] != flows["importer_region"])]
    tonnes = flows.groupby(["importer_region", "exporter_region"])["tonnes"].sum()
    need = region_sinks("graphite_natural")
    own = [n["id"] for n in NODES if n["region"] in BACI_GRAPHITE_IMPORTERS
           and n["output"] * recipe_outputs(n["recipe"]).get("graphite_natural", 0.0) > 0]
    if own:  # the split below takes an importer's whole use as imports
        raise ValueError(f"graphite_natural: importers following BACI produce it: {own}")
    anode: dict[tuple[str, str], float] = defaultdict(float)
    for r in ROUTES:
        if r["commodity"] == "graphite_anode" and region_of(r["origin"]) != dest_region(
                r["destination"]):
            anode[(dest_region(r["destination"]), region_of(r["origin"]))] += r["volume"]
    total, share = {}, {}
    for imp in BACI_GRAPHITE_IMPORTERS:
        b_all = float(tonnes[imp].sum())
        b_chn, b_row = float(tonnes[imp].get("CHN", 0.0)), float(tonnes[imp].get("ROW", 0.0))
        share[imp] = (b_row + (b_all - b_chn - b_row) / 2) / b_all
        total[imp] = need[imp] + anode[(imp, "CHN")] + anode[(imp, "ROW")]
    origin = BACI_GRAPHITE_ORIGINS["ROW"]
    left = (output_of(origin) - sum(p[2] for p in presets if p[0] == origin)
            - need.get("ROW", 0.0))
    from_chn = {i: (1.0 - share[i]) * total[i] - anode[(i, "CHN")] for i in BACI_GRAPHITE_IMPORTERS}
    asked = sum(need[i] - from_chn[i] for i in BACI_GRAPHITE_IMPORTERS)
    factor = 1.0 - (left - asked) / sum(from_chn.values())
    out = []
    for imp in BACI_GRAPHITE_IMPORTERS:
        from_row = need[imp] - factor * from_chn[imp]
        if not 0.0 <= from_row <= need[imp]:
            raise ValueError(f"graphite_natural: {imp} would take {from_row:.1f} t from ROW")
        note = (f"{imp}'s 250410 imports from outside China "
                f"{100 * (1 - (need[imp] - from_row + anode[(imp, 'CHN')]) / total[imp]):.1f} % "
                f"(BACI 2024 ROW {100 * tonnes[imp].get('ROW', 0.0) / tonnes[imp].sum():.1f} %, "
                f"China {100 * tonnes[imp].get('CHN', 0.0) / tonnes[imp].sum():.1f} %, half the "
                f"rest; China's tonnes x {factor:.3f} to the ROW mine's exports), anode imports "
                "counted in (derived)")
        out += [(origin, imp, from_row, S_BACI_GR, "M", note),
                (BACI_GRAPHITE_ORIGINS["CHN"], imp, need[imp] - from_row, S_BACI_GR, "M", note)]
    return out


# The US's imports by origin (USGS MCS2026, import sources 2021-24, H): commodity -> (origin node,
# share of US use) and the note. Shares of origins the world has no node for go to the nearest
# one (say which in the note); they add up to 1. A share of None: the node's whole output (a small
# producer), taken out of the share of the origin listed last.
S_US_IMPORTS = f"{MCS26}, import sources 2021-24 (shared/data/usgs/us_salient_mcs2026.csv)"
US_IMPORT_SOURCES: dict[str, tuple[list[tuple[str, float | None]], str]] = {
    "tungsten_apt": ([("w_apt_chn", 0.26), ("w_apt_eur", 0.14), ("w_apt_vnm", 0.08),
                      ("w_apt_row", 0.52)],
                     "Tungsten: China 26 %, Germany 14 % (w_apt_eur), Viet Nam 8 %, Bolivia 8 % and "
                     "other 44 % (w_apt_row)"),
    "gallium": ([("ga_ref_chn", 0.18), ("ga_ref_jpn", None), ("ga_sec_row", 0.82)],
                "Gallium metal: China 18 %; Japan 22 % (its 3 t of primary gallium, the rest "
                "recovered and refined: ga_sec_row), Canada 28 %, Germany 16 %, other 16 % "
                "(ga_sec_row)"),
    "germanium": ([("ge_ref_chn", 0.41), ("ge_ref_eur", 0.52), ("ge_ref_rus", 0.03),
                   ("ge_ref_row", 0.04)],
                  "Germanium metal: China 41 %, Belgium 27 % and Germany 25 % (ge_ref_eur), Russia "
                  "3 %, other 4 % (ge_ref_row)"),
    "graphite_natural": ([("gr_mine_chn", 0.46), ("gr_mine_row", 0.54)],
                         "Natural graphite: China 46 %, Canada 13 %, Mozambique 13 %, Mexico 12 %, "
                         "other 16 % (gr_mine_row)"),
    "antimony": ([("sb_ref_chn", 0.55), ("sb_ref_row", 0.45)],
                 "Antimony metal and oxide: China 55 %, Belgium 12 %, Thailand 8 %, India 6 %, "
                 "other 19 % (sb_ref_row)"),
}


# The US's rare-earth compounds and metals by origin (USGS MCS2026, import sources 2021-24, H):
# China incl. Hong Kong 71 %, Malaysia 13 %, Japan 5 %, Estonia 5 %, other 6 %. The US imports
# mostly La and Ce compounds (catalysts, glass); the non-China shares are routed as La and Ce
# oxide (in the US's La:Ce proportion) from the nodes of those countries; Japan's share is the NdPr
# metal Noveon buys from Japan (routed by the metal allocation) and what it leaves, with "other",
# comes from India's IREL (the largest other ex-China separator with La and Ce to spare).
REE_IMPORTS = ["la_oxide", "ce_oxide", "ndpr_oxide", "sm_oxide", "gd_oxide", "tb_oxide",
               "dy_oxide", "y_oxide", "other_ree_oxide", "ndpr_metal"]
US_REE_ORIGINS = [("lynas_kuantan", 0.13), ("neo_silmet", 0.05), ("re_sep_ind", 0.11)]
US_REE_FROM_JAPAN_METAL = "noveon"  # its NdPr metal comes from met_jpn (part of Japan's 5 %)
S_US_IMPORTS_RE = f"{MCS26}, Rare Earths, import sources 2021-24 (compounds and metals)"


def us_ree_import_presets() -> dict[str, list]:
    """La and Ce oxide routes that give the US's rare-earth imports USGS's non-China origins."""
    us_nodes = [n for n in NODES if n["region"] == "USA" and n["output"] > 0]

    def us_imports(c: str) -> float:
        """The US's use of ``c`` (its sectors and plants) less its own plants' output, t/yr."""
        use = region_sinks(c).get("USA", 0.0) + sum(node_needs(c).get(n["id"], 0.0)
                                                    for n in us_nodes)
        own = sum(n["output"] * recipe_outputs(n["recipe"]).get(c, 0.0) for n in us_nodes)
        return max(0.0, use - own)

    imports = sum(us_imports(c) for c in REE_IMPORTS)
    la_ce = {c: us_imports(c) for c in ("la_oxide", "ce_oxide")}
    japan_metal = node_needs("ndpr_metal").get(US_REE_FROM_JAPAN_METAL, 0.0)
    out: dict[str, list] = defaultdict(list)
    for origin, share in US_REE_ORIGINS:
        volume = share * imports - (japan_metal if origin == "re_sep_ind" else 0.0)
        for c, need in la_ce.items():
            out[c].append((origin, "USA", volume * need / sum(la_ce.values()), S_US_IMPORTS_RE,
                           "M", "US rare-earth imports by origin, USGS 2021-24: China 71 %, "
                           "Malaysia 13 % (Lynas), Japan 5 %, Estonia 5 % (Neo Silmet), other 6 "
                           "%; routed as La and Ce oxide in the US's proportion (Japan's share: "
                           "Noveon's NdPr metal from Japan, the rest with 'other' from IREL)"))
    return out


# China has licensed gallium and germanium exports since 1 Aug 2023 and denies military end use
# (MOFCOM/GACC 2023 No. 23; export_controls.csv, H), so in the 2024 base year a region whose only
# use of one of them is defence bought it outside China: commodity -> the non-China node.
MILITARY_ONLY_SOURCE = {"gallium": "ga_sec_row", "germanium": "ge_ref_eur"}


def military_only_presets(commodity: str) -> list:
    """Routes from outside China for the regions whose only use of ``commodity`` is defence."""
    if commodity not in MILITARY_ONLY_SOURCE:
        return []
    by_region: dict[str, dict[str, float]] = defaultdict(dict)
    for (region, sector), uses in DEMAND.items():
        if uses.get(commodity, 0.0) > 0:
            by_region[region][sector] = uses[commodity]
    origin = MILITARY_ONLY_SOURCE[commodity]
    return [(origin, region, uses["defence"], S_ASSUME, "L",
             "this region's only use is defence, which China's licences (in force since Aug "
             "2023, military end use denied) have not supplied in the base year 2024")
            for region, uses in sorted(by_region.items())
            if set(uses) == {"defence"} and region != "USA"]


def us_import_presets(commodity: str, us_use: float) -> list:
    """Preset routes that give the US's use of ``commodity`` (t/yr) the origins USGS reports."""
    if commodity not in US_IMPORT_SOURCES or us_use <= 0:
        return []
    origins, note = US_IMPORT_SOURCES[commodity]
    assert abs(sum(share or 0.0 for _, share in origins) - 1.0) < 1e-9, commodity
    whole = sum(output_of(origin) for origin, share in origins if share is None)
    volumes = [(origin, output_of(origin) if share is None else us_use * share)
               for origin, share in origins]
    volumes[-1] = (volumes[-1][0], volumes[-1][1] - whole)
    return [(origin, "USA", volume, S_US_IMPORTS, "M",
             f"US imports by origin, USGS 2021-24: {note}; applied to the US use of the base year")
            for origin, volume in volumes]

# India's cerium imports from China (HS 284610, cerium compounds), t of product taken as t REO
IND_CE_FROM_CHN = 378.8
S_BACI = ("CEPII BACI HS92 (Gaulier and Zignago 2010), as in trade/baci of the project's facts: HS "
          "284610 cerium compounds, China to India, 2024")
OXIDE_PRESETS: dict[str, list] = {
    "ce_oxide": [
        ("re_sep_chn_light", "IND", IND_CE_FROM_CHN, S_BACI, "M",
         "India imported 379 t of cerium compounds from China in 2024 (484 t in 2023, 475 t in "
         "2022; 503 t from all origins in 2024) beside IREL's output; product tonnes taken as t "
         "REO (assumption L); the rest of India's Ce use comes from IREL, whose surplus is "
         "exported (India exported 560 t of cerium compounds in 2024, BACI)"),
    ],
}

# Zero-volume routes that give planned and ramping facilities somewhere to take feed from and to
# deliver to once they start (origin, destination, commodities); assumptions, confidence L. The
# new separators take concentrate only from their own feed nodes (build_feed_nodes) and NioCorp,
# never from mines that already run at capacity for existing separators.
POTENTIAL = [
    ("iluka_eneabba_feed", "iluka_eneabba", ["re_concentrate"]),
    ("iluka_eneabba", "met_jpn", ["ndpr_oxide"]),
    # Eneabba's NdPr goes where Lynas's ex-China NdPr goes: Japanese metal makers and the metal
    # makers in Viet Nam that supply Japanese magnet makers (no offtake in the project's facts).
    # With Japan its only outlet it took a third of Japan's NdPr orders from Lynas, MP and IREL,
    # and IREL, India's main Ce supplier, ran ~17 % below base (docs/design.md, Data layer).
    ("iluka_eneabba", "met_vnm", ["ndpr_oxide"]),
    ("iluka_eneabba", "mag_jpn", ["dy_oxide", "tb_oxide"]),
    ("iluka_eneabba", "JPN", ["la_oxide", "ce_oxide", "sm_oxide", "gd_oxide", "y_oxide",
                              "other_ree_oxide"]),
    ("solvay_la_rochelle_feed", "solvay_la_rochelle", ["re_concentrate"]),
    ("solvay_la_rochelle", "met_jpn", ["ndpr_oxide"]),
    ("solvay_la_rochelle", "mag_deu", ["dy_oxide", "tb_oxide"]),
    ("solvay_la_rochelle", "EU_OTHER", ["la_oxide", "ce_oxide", "sm_oxide", "gd_oxide", "y_oxide",
                                        "other_ree_oxide"]),
    ("white_mesa_monazite_feed", "energy_fuels_white_mesa", ["re_concentrate"]),
    ("niocorp_elk_creek", "energy_fuels_white_mesa", ["re_concentrate"]),
    ("energy_fuels_white_mesa", "mp_independence_metal", ["ndpr_oxide"]),
    ("energy_fuels_white_mesa", "USA", ["la_oxide", "ce_oxide", "sm_oxide", "other_ree_oxide"]),
    ("lynas_kuantan", "lynas_kuantan_heavy", ["other_ree_oxide"]),
    ("lynas_kuantan_heavy", "mag_jpn", ["dy_oxide", "tb_oxide"]),
    ("lynas_kuantan_heavy", "JPN", ["sm_oxide", "gd_oxide", "y_oxide"]),
    ("mp_mountain_pass_sep", "mp_independence_metal", ["ndpr_oxide"]),
    ("mp_independence_metal", "mp_independence", ["ndpr_metal"]),
    ("lynas_kuantan_heavy", "mp_independence", ["dy_oxide", "tb_oxide"]),
    ("mp_independence", "USA", ["ndfeb_magnet"]),
    ("met_chn", "neo_narva", ["ndpr_metal"]),
    ("lynas_kuantan_heavy", "neo_narva", ["dy_oxide", "tb_oxide"]),
    ("neo_narva", "DEU", ["ndfeb_magnet"]),
    ("met_vnm", "usa_rare_earth_stillwater", ["ndpr_metal"]),
    ("lynas_kuantan_heavy", "usa_rare_earth_stillwater", ["dy_oxide", "tb_oxide"]),
    ("usa_rare_earth_stillwater", "USA", ["ndfeb_magnet"]),
    ("met_jpn", "vulcan_elements", ["ndpr_metal"]),
    ("lynas_kuantan_heavy", "vulcan_elements", ["dy_oxide", "tb_oxide"]),
    ("vulcan_elements", "USA", ["ndfeb_magnet"]),
]


def add_potential_routes() -> None:
    for origin, dest, commodities in POTENTIAL:
        for c in commodities:
            rid = f"{c}__{origin}__{dest}".lower()
            if any(r["id"] == rid for r in ROUTES):
                continue
            ROUTES.append({"id": rid, "commodity": c, "origin": origin, "destination": dest,
                           "volume": 0.0, "unit": UNIT_YR[BASIS[c]],
                           "transit_weeks": transit(region_of(origin), dest_region(dest)),
                           "year": YEAR, "source": S_ASSUME, "confidence": "L",
                           "note": "potential route of a planned or ramping facility: no flow in the "
                           "base year; carries the facility's output (or feed) once it starts; "
                           "partner is an assumption"})


# Tungsten mines split out of the rest of the world (t W, 2024, USGS MCS2026) and the shares of
# China's concentrate imports by origin in CEPII BACI 2024 (HS 261100, 12.2 kt of product: rest of
# world 58.4 %, Myanmar 19.5 %, Russia 10.5 %, Australia 4.4 %, EU 3.1 %), renormalised over the
# exporters the world has a mine for (Malaysia, Germany and Viet Nam, 4.1 % together, left out).
S_BACI_W = "CEPII BACI HS92 2024, HS 261100 (trade/baci_hs92_2017_2024.csv)"
W_MINE = {"AUS": 920.0, "EU_OTHER": 840.0 + 700.0 + 650.0}
_W_BACI = {"ROW": 58.4, "MMR": 19.5, "RUS": 10.5, "AUS": 4.4, "EU_OTHER": 3.1}
W_CHN_SHARE = {k: v / sum(_W_BACI.values()) for k, v in _W_BACI.items()}
# The EU's converters keep their 4,000 t (an assumption that stands in for their scrap feed, which
# the world does not track; BACI 2024 has the rest of the EU importing only 742 t of product, 382 t
# W): what the EU's mines do not give them is imported 86 % from the rest of the world and 14 %
# from Australia (BACI: 82.2 and 11.5 %; the US's and Malaysia's 5.7 % go to both). The
# rest-of-world converters keep their 3,800 t (the US's non-China tungsten). With a smaller EU
# converter (EU mines plus BACI's tonnes) the EU's metallurgy stopped in every draw of replay-2025.
W_EU_APT = 4000.0
W_EU_SHARE = {"ROW": 0.86, "AUS": 0.14}
W_ROW_APT = 3800.0
W_ROW_MINE = 1700 + 1900 + 1300 + 1700  # BOL, PRK, RWA, other (incl. Myanmar) in USGS


def w_china_imports() -> float:
    """China's tungsten concentrate imports (t W/yr) that close the rest of the world's mines.

    The rest of the world (Myanmar included) ships to China its BACI shares ``s`` of what China
    imports (``x``), to the EU its share of the EU's imports ``E(x) = W_EU_APT - EU mines + s_EU x``
    (the EU's mines send China their share too) and to its own converters ``W_ROW_APT``:
    ``W_ROW_MINE = (s_ROW + s_MMR) x + e_ROW E(x) + W_ROW_APT``, solved for ``x``.
    """
    e_row = W_EU_SHARE["ROW"]
    left = W_ROW_MINE - W_ROW_APT - e_row * (W_EU_APT - W_MINE["EU_OTHER"])
    return left / (W_CHN_SHARE["ROW"] + W_CHN_SHARE["MMR"] + e_row * W_CHN_SHARE["EU_OTHER"])


def w_eu_imports() -> float:
    """The EU converters' concentrate imports (t W/yr): their output less what the EU's mines keep."""
    return W_EU_APT - W_MINE["EU_OTHER"] + W_CHN_SHARE["EU_OTHER"] * w_china_imports()


def w_concentrate_routes() -> list[tuple[str, str, float, str, str, str]]:
    """Tungsten concentrate routes (t W/yr): China's and the rest of the EU's imports as BACI 2024's
    shares; Russia's concentrate not sent to China converted in Russia, Australia's rest to Viet Nam.

    Returns
    -------
    list of tuple
        ``(origin, destination, t W/yr, source, confidence, note)`` presets of the allocation.
    """
    imp = w_china_imports()
    chn = {k: v * imp for k, v in W_CHN_SHARE.items()}
    eu = {k: v * w_eu_imports() for k, v in W_EU_SHARE.items()}
    shares = "China's imports of HS 261100 by origin (BACI 2024 shares, renormalised)"
    eu_note = "the rest of the EU's imports of HS 261100 by origin (BACI 2024 shares)"
    return [
        ("w_mine_chn", "w_apt_chn", 67000, S_W, "M", "domestic"),
        ("w_mine_vnm", "w_apt_vnm", 3400, S_W, "L", "converted in Viet Nam"),
        ("w_mine_row", "w_apt_chn", chn["ROW"], derived(shares, S_BACI_W), "M",
         "North Korean, Rwandan, Bolivian ... concentrate to China"),
        ("w_mine_mmr", "w_apt_chn", chn["MMR"], derived(shares, S_BACI_W), "L", "Myanmar to China"),
        ("w_mine_rus", "w_apt_chn", chn["RUS"], derived(shares, S_BACI_W), "M", "Russia to China"),
        ("w_mine_rus", "w_apt_rus", 1500 - chn["RUS"], S_ASSUME, "L", "converted in Russia"),
        ("w_mine_aus", "w_apt_chn", chn["AUS"], derived(shares, S_BACI_W), "M", "Australia to China"),
        ("w_mine_eu", "w_apt_chn", chn["EU_OTHER"], derived(shares, S_BACI_W), "M",
         "Spanish and Portuguese concentrate to China"),
        ("w_mine_eu", "w_apt_eur", W_MINE["EU_OTHER"] - chn["EU_OTHER"], S_W, "M",
         "converted in the EU (Austria)"),
        ("w_mine_row", "w_apt_eur", eu["ROW"], derived(eu_note, S_BACI_W), "M", "to the EU"),
        ("w_mine_aus", "w_apt_eur", eu["AUS"], derived(eu_note, S_BACI_W), "M", "to the EU"),
        ("w_mine_aus", "w_apt_vnm", W_MINE["AUS"] - chn["AUS"] - eu["AUS"],
         derived("Australia's output less its tonnes to China and the EU", S_BACI_W), "L",
         "to Viet Nam (BACI 2024: 1,730 t of product, Australia's largest buyer)"),
        ("w_mine_row", "w_apt_row", W_ROW_APT, S_W, "L",
         "assumption: to Japanese, Korean, US converters (Bolivian, Rwandan concentrate); sized so "
         "that the US can import 52 % of its tungsten from outside China, Germany and Viet Nam as "
         "USGS reports (import sources 2021-24)"),
    ]


def feed_by_destination(routes: list[tuple[str, str, float, str, str, str]]) -> dict[str, float]:
    """Each destination node's feed (t/yr) from concentrate route presets ``routes``
    (:func:`w_concentrate_routes`, :func:`sb_concentrate_routes`), summed in route order."""
    feed: dict[str, float] = {}
    for _, dest, vol, *_ in routes:
        feed[dest] = feed.get(dest, 0.0) + vol
    return feed


# Antimony mines (t Sb, 2024). China, Tajikistan and Australia from USGS MCS2026; Russia and Myanmar
# from World Mining Data (reported figures), which CEPII BACI 2024 bears out and USGS does not:
# Myanmar ships ~25 kt Sb of concentrate (49.8 kt of product, most to Thailand), Russia ~0.6 kt.
# The world total is then 125,460 t (USGS 119,000, WMD 141,231).
S_SB_WMD = "World Mining Data 2025 (BMF Austria), antimony production table, 2024 (wmd/ of the facts)"
SB_MINE = {"CHN": 40000.0, "RUS": 24670.0, "TJK": 22000.0, "MMR": 26290.0, "AUS": 1270.0}
S_BACI_SB = "CEPII BACI HS92 2024, HS 261710 (trade/baci_hs92_2017_2024.csv)"
# China's antimony concentrate imports by origin follow BACI 2024's shares of HS 261710 (51.1 kt of
# product: rest of world 58.6 % (Thailand 38.9 %, mostly Myanmar's ore), Myanmar 14.9 %, Tajikistan
# 11.9 %, Australia 10.8 %, Russia 2.5 %, Viet Nam 1.4 %). The rest of the world's mines ship
# SB_ROW_TO_CHN to China and the other exporters are sized on it; Australia's 1.27 kt (all of its
# output; BACI: 99 % of its exports go to China) is below its share, so the others carry 1-2 points
# more. Russia ships BACI's tonnes (1,290 t of product to China and Hong Kong x 0.5 t Sb per t).
SB_ROW_TO_CHN = 10500.0
SB_CHN_SHARE = {"ROW": 0.60, "MMR": 0.16, "TJK": 0.13}


def sb_concentrate_routes() -> list[tuple[str, str, float, str, str, str]]:
    """Antimony concentrate routes (t Sb/yr): China's imports as BACI 2024's shares, the rest smelted
    where BACI says it goes (Myanmar's via Thailand to the rest of the world's smelters).

    Returns
    -------
    list of tuple
        ``(origin, destination, t Sb/yr, source, confidence, note)`` presets of the allocation.
    """
    total = SB_ROW_TO_CHN / SB_CHN_SHARE["ROW"]
    mmr, tjk = SB_CHN_SHARE["MMR"] * total, SB_CHN_SHARE["TJK"] * total
    rus = 1290 * 0.5
    row = sum((5300, 5930))
    shares = ("China's imports of HS 261710 by origin (BACI 2024 shares: rest of world 58.6 %, "
              "Myanmar 14.9 %, Tajikistan 11.9 %, Australia 10.8 %, Russia 2.5 %)")
    return [
        ("sb_mine_chn", "sb_ref_chn", SB_MINE["CHN"], S_SB, "M", "domestic"),
        ("sb_mine_row", "sb_ref_chn", SB_ROW_TO_CHN, derived(shares, S_BACI_SB), "M",
         "Bolivian, Turkish, Kyrgyz, Lao ... concentrate to China"),
        ("sb_mine_row", "sb_ref_row", row - SB_ROW_TO_CHN, S_ASSUME, "L", "smelted in the rest of "
         "the world (Bolivia, Turkey)"),
        ("sb_mine_mmr", "sb_ref_chn", mmr, derived(shares, S_BACI_SB), "M", "Myanmar to China"),
        ("sb_mine_mmr", "sb_ref_row", SB_MINE["MMR"] - mmr,
         derived("Myanmar's output less its tonnes to China", S_BACI_SB), "M",
         "to Thailand (BACI 2024: 42.2 kt of product; Thailand re-exports to China are carried by "
         "the rest of the world's mines)"),
        ("sb_mine_tjk", "sb_ref_chn", tjk, derived(shares, S_BACI_SB), "M", "Tajikistan to China"),
        ("sb_mine_tjk", "sb_ref_tjk", SB_MINE["TJK"] - tjk, S_ASSUME, "L", "smelted in Tajikistan"),
        ("sb_mine_aus", "sb_ref_chn", SB_MINE["AUS"], derived(shares, S_BACI_SB), "M",
         "all of Australia's output (BACI: 99 % of its exports go to China)"),
        ("sb_mine_rus", "sb_ref_chn", rus, derived("1,290 t of product x 0.5 t Sb per t", S_BACI_SB),
         "M", "Russia's exports of concentrate to China and Hong Kong"),
        ("sb_mine_rus", "sb_ref_rus", SB_MINE["RUS"] - rus, S_ASSUME, "L", "treated in Russia"),
    ]


def build_flows_other_nodes() -> None:
    """Tungsten, graphite and antimony intermediate flows (known or assumed)."""
    w = w_concentrate_routes()
    PRESETS["tungsten_concentrate"] = w
    sb = sb_concentrate_routes()
    PRESETS["antimony_concentrate"] = sb
    # graphite: 40 % of natural graphite goes to anode material (assumption L)
    world = output_of("gr_mine_chn") + output_of("gr_mine_row")
    flake = 0.40 * world
    row_to_cn = 45000.0
    row_own = flake - 560000 - row_to_cn
    set_output("gr_anode_chn", (560000 + row_to_cn) * SPHERO_YIELD)
    set_output("gr_anode_row", row_own * SPHERO_YIELD)
    src_g = f"{S_GR}; {S_ASSUME}"
    PRESETS["graphite_natural"] = [
        ("gr_mine_chn", "gr_anode_chn", 560000, src_g, "L",
         "assumption: 40 % of world natural graphite is spheronised for anodes; China's share of "
         "battery-grade refining > 90 % (Reuters 2023; IEA 2025)"),
        ("gr_mine_row", "gr_anode_chn", row_to_cn, src_g, "L",
         "assumption: Mozambican, Madagascan, Tanzanian flake to Chinese spheronisers"),
        ("gr_mine_row", "gr_anode_row", row_own, src_g, "L",
         "assumption: rest of the 40 % to Korean, Japanese and US anode plants"),
    ]


# ---------------------------------------------------------------------------------- tables
def region_rows() -> list[dict]:
    rows = []
    for code, name in COUNTRIES.items():
        rows.append({"id": code, "name": name, "zone": "china" if code == "CHN" else "ex_china",
                     "kind": "country", "members": "", "groups": "EU27" if code in EU27 else "",
                     "source": "ISO 3166-1; EU membership (europa.eu)" if code in EU27 else "ISO 3166-1",
                     "note": "includes Hong Kong and Macao for trade flows" if code == "CHN" else ""})
    rows.append({"id": "EU_OTHER", "name": "Rest of the EU27", "zone": "ex_china", "kind": "aggregate",
                 "members": ";".join(EU_OTHER_MEMBERS), "groups": "EU27",
                 "source": "EU membership (europa.eu); spigot convention",
                 "note": "EU27 members not listed separately (" + ", ".join(EU_LISTED) + " are)"})
    rows.append({"id": "ROW", "name": "Rest of world", "zone": "ex_china", "kind": "aggregate",
                 "members": "*", "groups": "", "source": "spigot convention",
                 "note": "all countries not listed (Taiwan, UK, Canada, Mexico, Brazil, Thailand...)"})
    return rows


def commodity_rows() -> list[dict]:
    return [{"id": c[0], "name": c[1], "group": c[2], "stage": c[3], "basis": c[4], "element": c[5],
             "hs_codes": c[6], "source": "spigot commodity list; HS codes from hs_codes.csv of the "
             "project's facts (UN Comtrade HS2017 nomenclature)", "note": c[7]} for c in COMMODITIES]


SECTOR_SOURCES = {
    "automotive": (S_OICA, "H"), "wind": (S_GWEC, "H"), "defence": (S_SIPRI, "M"),
    "batteries": (S_ASSUME, "L"), "carbide_tools": (S_ASSUME, "L"),
}


def sector_rows_and_bom(demand: dict, describe, bom_source, *, year: int, sources: dict,
                        cover: dict, priority: dict, elasticity: dict, jpn_source: str,
                        jpn_exempt: tuple[str, ...]) -> tuple[list[dict], list[dict]]:
    """Rows of ``sectors.csv`` and ``bom.csv`` from ``demand[(region, sector)] = {commodity: t}``.

    The year-specific parts come in as callbacks: ``describe(region, sector, uses)`` returns
    ``(output, unit, value, note, source or None, confidence or None)`` and
    ``bom_source(region, sector, commodity)`` returns a BOM row's ``(source, note)``. Cover,
    priority and the rows' layout are shared by ``base`` and ``base-2010``.
    """
    sectors, bom = [], []
    for (region, sector), uses in sorted(demand.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        src, conf = sources.get(sector, (S_ASSUME, "L"))
        output, unit, value, note, src_override, conf_override = describe(region, sector, uses)
        src, conf = src_override or src, conf_override or conf
        weeks = cover[sector]
        if region == "JPN" and sector not in jpn_exempt and weeks < 13:
            weeks = 13
            note += f"; cover 13 weeks: Japanese users held ~3 months in 2010-11 ({jpn_source})"
        elif sector == "automotive":
            note += "; cover 4 weeks: auto plants hold 'a few weeks' of critical parts (limex 2025, L)"
        else:
            note += f"; cover {weeks} weeks and priority are spigot assumptions (docs/data.md)"
        sectors.append({"id": f"{region}.{sector}", "region": region, "sector": sector,
                        "output": float(f"{output:.8g}"), "output_unit": unit,
                        "value_per_unit": round(value, 2), "cover_weeks": weeks,
                        "priority": priority.get(sector, 2),
                        "price_elasticity": elasticity.get(sector, -0.1), "year": year,
                        "source": src, "confidence": conf, "note": note})
        for c, t in sorted(uses.items()):
            bsrc, bnote = bom_source(region, sector, c)
            bom.append({"sector": f"{region}.{sector}", "commodity": c,
                        "intensity": float(f"{t * 1000 / output:.8g}"), "source": bsrc,
                        "confidence": "L", "note": bnote})
    return sectors, bom


def _describe_sector(region: str, sector: str, uses: dict[str, float]):
    veh, ev, wd, dfo = vehicles(), evs(), wind(), defence_output()
    conf = None
    if sector == "automotive":
        output, unit = veh[region], "vehicle"
        value, vsrc, _ = VEH_VALUE.get(region, (VEH_VALUE_ASSUMED.get(region), "assumption", "L"))
        note = (f"motor vehicles produced 2024; EVs {ev[region]:.0f}; value {value} USD per vehicle "
                f"({vsrc})")
        if region == "EU_OTHER":
            note += "; output = ESP+CZE+SVK+ROU+POL (OICA) + 1.5 M assumed for other EU members"
            conf = "L"
        if region == "ROW":
            note += "; output = world 92.5 M minus the listed regions"
    elif sector == "wind":
        output, unit, value = wd[region], "MW", WIND_VALUE[region]
        note = (f"MW installed 2024; value per MW {value} USD ({S_WOODMAC}; CHN at the 2024 "
                "low point; IND and ROW assumed)")
        if region in ("EU_OTHER", "ROW"):
            note += "; derived: EU27 12.9 GW minus DEU / world 117 GW minus listed regions"
    elif sector == "defence":
        output, unit, value = dfo[region], "USD million of military equipment", 1e6
        note = (f"{EQUIP_SHARE:.0%} of 2024 military expenditure (assumption) taken as equipment "
                "output; EU_OTHER 150 bn USD and ROW (world 2,718 bn minus listed) are estimates")
    elif sector == "batteries":
        output, unit, value = BATTERY_GWH[region], "GWh of lithium-ion cells", 1e8
        note = ("assumption: 2024 cell production ~1,550 GWh split by region (L); value 100 USD/kWh; "
                "only the natural-graphite share of anode is tracked")
    elif sector == "carbide_tools":
        output = uses["tungsten_apt"] * 1000 / 750
        unit, value = "t of cemented carbide", 60000
        note = ("output derived from W use at 750 kg W per t of cemented carbide (WC ~80-85 %; "
                "assumption); China made 58,000 t of cemented carbide in 2024 "
                "(carbure-tungstene.com, L); "
                "value 60,000 USD/t assumption")
    else:
        ex_price = {c: v[0] for c, v in PRICES.items()}
        material = sum(t * 1000 * ex_price[c] for c, t in uses.items())
        output = material / COST_SHARE[sector] / 1e6
        unit, value = "USD million of output", 1e6
        note = (f"no natural unit: output = value of tracked materials used / {COST_SHARE[sector]} "
                "cost share (assumption L)")
    return output, unit, value, note, None, conf


def _bom_source(region: str, sector: str, c: str) -> tuple[str, str]:
    if c == "ndfeb_magnet" and sector == "automotive":
        bsrc = derived(f"({KG_MAG_PER_VEHICLE} kg x vehicles + {KG_MAG_PER_EV} kg x EVs) / "
                       "vehicles", f"{S_OICA}; {S_GEVO25}; {S_GEVO24}; {S_MAG}")
        bnote = (f"{KG_MAG_PER_VEHICLE} kg NdFeB in small motors, EPS and sensors of every "
                 f"vehicle (assumption L; world EPS ~12,000 t per CSRE) plus {KG_MAG_PER_EV} kg "
                 "per EV traction drive (plant-capacity statements imply 1.1-2.0 kg); EVs by "
                 "region: GEVO 2025 (CHN, USA, IND, EU 2.4 M split by 2023 sales), 2023 sales "
                 "for JPN/KOR, VNM 90,000 assumed, ROW residual of 17.3 M")
    elif c == "ndfeb_magnet":
        share = {"wind": "11 % of world magnets (IEA 2023: wind = 18 % clean energy - 7 % EV)",
                 "defence": "2 % of world magnets (assumption), split by equipment spending",
                 "industrial_motors": "20 % of world magnets (CSRE 2023 robots 16 % + elevators, "
                                      "pumps; assumption), split by assumed regional weights",
                 "electronics": "the rest of world magnets (consumer electronics, inverter "
                                "air-conditioners 16 % per CSRE, HDD, e-bikes), split by "
                                "assumed regional weights"}[sector]
        bsrc = derived("sector share x world magnet output / sector output",
                       f"{S_IEA24}; {S_CSRE}")
        bnote = share + "; world magnet output set by NdPr metal supply"
    else:
        bsrc = derived("end-use share x final use x regional weight / sector output",
                       "the commodity's producers in this dataset")
        bnote = SPLIT_NOTES.get(c, "") + "; intensities derived so world use equals world supply"
        if c in REGION_USE:
            totals, why = REGION_USE[c]
            bnote += ("; regional totals fixed for " + ", ".join(totals) + " and the other "
                      "regions scaled to the rest: " + why)
    return bsrc, bnote


def sector_and_bom_rows() -> tuple[list[dict], list[dict]]:
    return sector_rows_and_bom(DEMAND, _describe_sector, _bom_source, year=YEAR,
                               sources=SECTOR_SOURCES, cover=COVER, priority=PRIORITY,
                               elasticity=ELASTICITY, jpn_source="Japan Times 2011",
                               jpn_exempt=("automotive", "batteries"))


def stockpile_rows() -> list[dict]:
    def annual_use(region: str, c: str) -> float:
        use = sum(u.get(c, 0.0) for (r, _s), u in DEMAND.items() if r == region)
        use += sum(v for k, v in node_needs(c).items() if region_of(k) == region)
        return use

    rows = []

    def add(id_, holder, c, days, release, weeks_to_empty, source, note, qty=None):
        q = qty if qty is not None else annual_use(holder, c) * days / 365
        rows.append({"id": id_, "holder": holder, "commodity": c, "quantity": round(q, 1),
                     "unit": UNIT_YR[BASIS[c]].replace("/yr", ""), "release_below_cover_weeks": release,
                     "max_release_per_week": round(q / weeks_to_empty, 2) if weeks_to_empty else 0,
                     "year": YEAR, "source": source, "confidence": "L", "note": note})

    s_j = ("JOGMEC rare-metal stockpiling system (target 60 days of national consumption); "
           "quantities undisclosed")
    for c in ("ndpr_oxide", "dy_oxide", "tb_oxide"):
        add(f"jogmec_{c}", "JPN", c, 60, 4, 8, s_j,
            "assumption: 60 days of Japan's 2024 use (nodes and sectors); released when cover < 4 weeks, "
            "over 8 weeks")
    s_n = "US National Defense Stockpile (Annual Materials Plan); inventories partly undisclosed"
    add("us_nds_germanium", "USA", "germanium", 0, 2, 26, s_n,
        "assumption: ~15 t Ge held; released to US users when cover < 2 weeks, over 26 weeks", qty=15)
    add("us_nds_antimony", "USA", "antimony", 0, 2, 26, s_n,
        "assumption: ~1,100 t Sb held; released when cover < 2 weeks, over 26 weeks", qty=1100)
    s_k = ("KOMIR (Korea Mine Rehabilitation and Mineral Resources Corp.) public stockpile; "
           "target 100 days by 2031")
    for c in ("gallium", "antimony"):
        add(f"komir_{c}", "KOR", c, 50, 4, 8, s_k,
            "assumption: ~50 days of Korea's 2024 use; released when cover < 4 weeks, over 8 weeks")
    s_c = "China National Food and Strategic Reserves Administration; rare-earth reserve undisclosed"
    for c in ("ndpr_oxide", "dy_oxide", "tb_oxide"):
        add(f"cn_reserve_{c}", "CHN", c, 90, 0, 0, s_c,
            "assumption: ~3 months of China's use; no release rule (released at the state's discretion)")
    return rows


# ---------------------------------------------------------------------------------- production
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
STAT_MAP = {  # usgs commodity -> (production commodity/group, stage, unit, source)
    "rare_earths": ("rare_earths", "mining", "t REO/yr", S_RE),
    "tungsten": ("tungsten", "mining", "t metal/yr", S_W),
    "gallium": ("gallium", "refining", "t metal/yr", S_GA),
    "graphite_natural": ("graphite", "mining", "t product/yr", S_GR),
    "antimony": ("antimony", "mining", "t metal/yr", S_SB),
}
EXTRA_WORLD = {("tungsten", 2024): (82000, "USGS MCS2026 Tungsten text (world 82,000 t in 2024), as "
                                    "summarised in FACTS.md A1")}


def production_rows() -> list[dict]:
    rows: list[dict] = []
    with (SHARED / "usgs" / "mcs2026_world_production_reserves.csv").open(encoding="utf-8") as fh:
        usgs = list(csv.DictReader(fh))
    blocks: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for r in usgs:
        if r["commodity"] not in STAT_MAP or not r["value"].strip():
            continue
        if r["stage"] not in ("mine", "primary_low_purity"):
            continue
        blocks[(r["commodity"], int(r["year"]))].append(r)
    for (usgs_c, year), recs in sorted(blocks.items()):
        comm, stage, unit, src = STAT_MAP[usgs_c]
        world = next((float(r["value"]) for r in recs if r["country_iso3"] == "WLD"), None)
        wsrc = src
        if world is None and (usgs_c, year) in EXTRA_WORLD:
            world, wsrc = EXTRA_WORLD[(usgs_c, year)]
        listed = [r for r in recs if r["country_iso3"] not in ("WLD", "OTH")]
        other = next((float(r["value"]) for r in recs if r["country_iso3"] == "OTH"), 0.0)
        for r in listed:
            note = r["note"] if r["note"] not in ("same", "reported") else ""
            if usgs_c == "gallium":
                note = (note + "; " if note else "") + ("primary low-purity Ga, produced in alumina "
                                                        "refineries (no mining stage)")
            rows.append({"commodity": comm, "stage": stage, "region": r["country_iso3"], "year": year,
                         "value": float(r["value"]), "unit": unit, "share": "", "source": src,
                         "confidence": "H", "note": note})
        if world is not None:
            residual = world - sum(float(r["value"]) for r in listed)
            if residual >= other and residual > 0.5:
                rows.append({"commodity": comm, "stage": stage, "region": "ROW", "year": year,
                             "value": round(residual, 1), "unit": unit, "share": "",
                             "source": derived("world total - listed countries", src),
                             "confidence": "M",
                             "note": f"other countries ({other:g} t per USGS) plus the rounding "
                             "difference between USGS's world total and its listed countries"})
            elif other > 0:
                rows.append({"commodity": comm, "stage": stage, "region": "ROW", "year": year,
                             "value": other, "unit": unit, "share": "", "source": src,
                             "confidence": "H",
                             "note": "USGS 'other countries'; the listed countries sum to more than "
                             "the USGS world total, so shares in this year sum to slightly above 1"})
            rows.append({"commodity": comm, "stage": stage, "region": "WLD", "year": year,
                         "value": world, "unit": unit, "share": "", "source": wsrc, "confidence": "H",
                         "note": "world total"})
        elif other:
            rows.append({"commodity": comm, "stage": stage, "region": "ROW", "year": year,
                         "value": other, "unit": unit, "share": "", "source": src, "confidence": "H",
                         "note": "USGS 'other countries'"})
    ge = {"CHN": 140, "RUS": 5, "USA": 2, "JPN": 2, "COD": 1}
    for code, v in ge.items():
        rows.append({"commodity": "germanium", "stage": "refining", "region": code, "year": 2024,
                     "value": v, "unit": "t metal/yr", "share": "", "source": S_GE_WMD,
                     "confidence": "M", "note": "USGS publishes no germanium production table; WMD "
                     "covers primary refined output only (Belgian/German refining of imported "
                     "concentrate and scrap is not reported)"})
    rows.append({"commodity": "germanium", "stage": "refining", "region": "WLD", "year": 2024,
                 "value": 150, "unit": "t metal/yr", "share": "", "source": S_GE_WMD, "confidence": "M",
                 "note": "world total; other estimates of China's share: 59.2 % (mining.com 2023), "
                 "~70 % (Project Blue 2025), 83 % (GLOBSEC 2024), 89.6 % (EU CRM 2023)"})

    def share_block(comm, stage, year, unit, shares, source, confidence, note):
        for code, sh in shares.items():
            rows.append({"commodity": comm, "stage": stage, "region": code, "year": year, "value": "",
                         "unit": unit, "share": sh, "source": source, "confidence": confidence,
                         "note": note})
        rest = round(1 - sum(shares.values()), 4)
        rows.append({"commodity": comm, "stage": stage, "region": "ROW", "year": year, "value": "",
                     "unit": unit, "share": rest,
                     "source": derived("1 - published shares", source), "confidence": "L",
                     "note": "all other countries together; only the share(s) above are published"})

    share_block("rare_earths", "separation", 2024, "t REO/yr", {"CHN": 0.91}, S_IEA_SEP, "H",
                "share of world separated output; value not published")
    share_block("rare_earths", "separation", 2023, "t REO/yr", {"CHN": 0.92, "MYS": 0.05},
                "IEA Global Critical Minerals Outlook 2024 via SEAISI (refining of magnet REEs)", "H",
                "magnet rare earths (Nd, Pr, Dy, Tb); China + Malaysia + Australia = 98 %")
    share_block("dy_oxide", "separation", 2024, "t REO/yr", {"CHN": 0.99},
                "vuink.com chart; Lynas May 2025 ('only commercial separated heavy RE producer "
                "outside China') via processing_shares.csv", "L", "heavy REE (Dy/Tb) separation; "
                "conventional figure, no primary source")
    share_block("ndfeb_magnet", "magnet", 2024, "t product/yr", {"CHN": 0.94}, S_IEA_SEP, "H",
                "permanent-magnet manufacturing; other outlets say ~90 %")
    share_block("gallium", "refining", 2023, "t metal/yr", {"CHN": 0.988},
                "mining.com (figure attributed to 2023 data) via processing_shares.csv", "M",
                "refined gallium; CRU: >98 % of mined gallium from China in 2023")
    share_block("germanium", "refining", 2023, "t metal/yr", {"CHN": 0.592},
                "mining.com via processing_shares.csv", "M",
                "sources disagree: ~70 % (Project Blue 2025), 83 % (GLOBSEC 2024)")
    share_block("graphite", "refining", 2023, "t product/yr", {"CHN": 0.90},
                "Reuters 2023-10-20 via bestmag.co.uk; IEA GCMO 2025 summary", "M",
                "battery-grade graphite refining; whole anode chain 74 % (Benchmark)")
    share_block("antimony", "mining", 2023, "t metal/yr", {"CHN": 0.48},
                "mining.com via processing_shares.csv", "M",
                "USGS MCS2026 gives 34 % (2024) and 36 % (2025)")
    return rows


# ---------------------------------------------------------------------------------- write
COLUMNS = {
    "commodities": ["id", "name", "group", "stage", "basis", "element", "hs_codes", "source", "note"],
    "regions": ["id", "name", "zone", "kind", "members", "groups", "source", "note"],
    "recipes": ["recipe", "commodity", "role", "coefficient", "source", "note"],
    "nodes": ["id", "name", "region", "stage", "kind", "recipe", "capacity", "output", "unit", "status",
              "start", "ramp_weeks", "year", "source", "confidence", "note"],
    "routes": ["id", "commodity", "origin", "destination", "volume", "unit", "transit_weeks", "year",
               "source", "confidence", "note"],
    "sectors": ["id", "region", "sector", "output", "output_unit", "value_per_unit", "cover_weeks",
                "priority", "price_elasticity", "year", "source", "confidence", "note"],
    "bom": ["sector", "commodity", "intensity", "source", "confidence", "note"],
    "prices": ["commodity", "zone", "price", "year", "source", "confidence", "note"],
    "stockpiles": ["id", "holder", "commodity", "quantity", "unit", "release_below_cover_weeks",
                   "max_release_per_week", "year", "source", "confidence", "note"],
    "production": ["commodity", "stage", "region", "year", "value", "unit", "share", "source",
                   "confidence", "note"],
}

DESCRIPTION = (
    "The global critical-minerals supply system in 2024: rare earths by element (La, Ce, NdPr, Sm, Gd, "
    "Tb, Dy, Y, others grouped) from mine to separated oxide, NdPr metal and sintered NdFeB magnets; "
    "tungsten, gallium, germanium, natural and battery graphite, antimony. Country nodes for the "
    "producers that matter, named facilities (Mountain Pass, MP Independence, Lynas, Iluka, Energy "
    "Fuels, Solvay, Neo, Noveon, Vulcan, USA Rare Earth, NioCorp), base trade routes, demand sectors "
    "in eleven consuming regions, prices in two market zones, stockpiles and production statistics. "
    "Every row names its source; derived figures and assumptions say so (docs/data.md)."
)
SOURCES = [
    "USGS Mineral Commodity Summaries 2026 (rare earths, tungsten, gallium, germanium, graphite, "
    "antimony: world tables, salient statistics, prices)",
    "USGS Mineral Commodity Summaries 2025, Rare Earths (Dy and Tb prices)",
    "World Mining Data 2025 (BMF Austria), germanium 2024",
    "IEA Global Critical Minerals Outlook 2024; IEA commentary 2025-10-23 (separation, magnets)",
    "IEA Global EV Outlook 2024 (data file) and 2025",
    "OICA 2024 vehicle production; GWEC Global Wind Report 2025; SIPRI Military Expenditure 2025",
    "Company reports and filings (MP Materials, Lynas, Iluka, Energy Fuels, Neo, Noveon, Vulcan, "
    "USA Rare Earth, NioCorp, Solvay) as collected in the project's facilities list",
    "CSRE/ACREI via Metalnomist 2024; Adamas Intelligence; Fastmarkets; Roskill (end uses)",
    "CEPII BACI bilateral trade (HS 284610 cerium compounds, China to India, 2024)",
    "spigot assumptions, each stated in the row's note with confidence L",
]


def dataset_yaml() -> str:
    import yaml

    meta = {"title": "base", "description": DESCRIPTION, "base_year": YEAR,
            "balance_tolerance": {"relative": 0.05, "absolute_t_per_yr": 1.0}, "sources": SOURCES}
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)


def write(name: str, rows: list[dict]) -> None:
    with (OUT / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS[name], lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: _fmt(r.get(k, "")) for k in COLUMNS[name]})


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.10g}"
    return v


def main() -> None:
    build_nodes()
    info = build_flows()
    add_potential_routes()
    sectors, bom = sector_and_bom_rows()
    OUT.mkdir(parents=True, exist_ok=True)
    write("commodities", commodity_rows())
    write("regions", region_rows())
    write("recipes", RECIPE_ROWS)
    write("nodes", NODES)
    write("routes", ROUTES)
    write("sectors", sectors)
    write("bom", bom)
    write("prices", price_rows())
    write("stockpiles", stockpile_rows())
    write("production", production_rows())
    (OUT / "dataset.yaml").write_text(dataset_yaml(), encoding="utf-8")
    print(f"{len(NODES)} nodes, {len(ROUTES)} routes, {len(sectors)} sectors, {len(bom)} bom rows")
    for k, v in info.items():
        print(f"  {k}: {v:,.3f}")


if __name__ == "__main__":
    main()
