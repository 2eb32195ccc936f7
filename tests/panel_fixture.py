"""A generated all-municipality fixture for the replay server: MADE-UP VALUES, NOT REAL FIGURES.

Every current municipality of data/municipalities.csv (codes and names only) gets invented
yearly counts for 2012-2023, drawn from a fixed random seed: a population between 3,000 and
150,000 (log-uniform), a rate per inhabitant per indicator, a gentle trend, and extra-Poisson year-to-year
variation with coefficient of variation TRUE_TAU (negative-binomial type 2), so that tests can
check that the panel's dispersion estimate recovers it. E33 jumps by BREAK_FACTOR from 2020 in
every municipality (a registration break, like the real one). NL01 is the sum of the
municipalities. Four former municipality codes (merged away in 2019) appear in the population
table up to 2018 only, as CBS's tables on each year's boundaries do.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from replay import BRON_HEADER, police_table

ROOT = Path(__file__).resolve().parents[1]
YEARS = list(range(2012, 2024))
TRUE_TAU = 0.10
BREAK_FACTOR = 2.0
SEED = 20261129
FORMER = [("GM0015", "Grootegast (fixture)"), ("GM0022", "Leek (fixture)"), ("GM0025", "Marum (fixture)"),
          ("GM0056", "Zuidhorn (fixture)")]
# invented rates per 1,000 inhabitants per year and yearly trend
RATES = {("47025NED", "0.0.0 "): (45.0, -0.02), ("47025NED", "1.1.1 "): (2.5, -0.06),
         ("47025NED", "2.5.2 "): (3.0, 0.01), ("47025NED", "3.7.4 "): (1.0, 0.10),
         ("47025NED", "3.1.3 "): (0.3, 0.0), ("47025NED", "1.6.1 "): (0.4, 0.0),
         ("47021NED", "E33   "): (2.0, 0.03), ("47021NED", "E35   "): (4.0, -0.02)}


# GM codes of the police tables that are not municipalities (as in the real region list)
PSEUDO = [("GM0998", "Buitenland"), ("GM0999", "Gemeenten; niet in te delen")]


def municipalities() -> list[tuple[str, str]]:
    """The current municipalities of data/municipalities.csv (codes and names only)."""
    from ivbtools.municipalities import current_codes

    return current_codes(ROOT / "data" / "municipalities.csv")


@functools.lru_cache(maxsize=1)
def _draws() -> dict:
    rng = np.random.default_rng(SEED)
    munis = municipalities()
    pop = {c: int(np.exp(rng.uniform(np.log(3_000), np.log(150_000))) if c != "GM1969" else 63_000) for c, _ in munis}
    counts = {}
    for (tid, cat), (rate, trend) in RATES.items():
        for c, _ in munis:
            level = rng.lognormal(0, 0.3)
            for y in YEARS:
                mu = pop[c] / 1000 * rate * level * np.exp(trend * (y - 2017))
                if cat.strip() == "E33" and y >= 2020:
                    mu *= BREAK_FACTOR
                mu *= rng.gamma(1 / TRUE_TAU ** 2, TRUE_TAU ** 2)   # mean 1, CV TRUE_TAU
                counts[(tid, cat, c, y)] = int(rng.poisson(mu))
    return {"pop": pop, "counts": counts}


def _table(tid, title, dim, dim_title, keys, measure):
    munis = municipalities()
    d = _draws()
    t = police_table(tid, title, dim, dim_title, keys, measure)
    regions = [("NL01  ", "Nederland")] + [(c, f"{n} (gemeente)" if n == "Groningen" else n) for c, n in munis]
    police = tid.startswith("47")
    if police:   # the police tables list registrations without a municipality under two GM codes
        regions += PSEUDO
    rows, i = [], 0
    for cat, _ in keys:
        for y in YEARS:
            per = {c: d["counts"].get((tid, cat, c, y), 0) for c, _ in munis}
            pseudo = {c: 3 + (y % 5) for c, _ in PSEUDO} if police else {}   # invented, small
            rows.append({"ID": i, dim: cat, "RegioS": "NL01  ", "Perioden": f"{y}JJ00",
                         measure: sum(per.values()) + sum(pseudo.values())})
            i += 1
            for c, v in list(per.items()) + list(pseudo.items()):
                rows.append({"ID": i, dim: cat, "RegioS": c, "Perioden": f"{y}JJ00", measure: v})
                i += 1
    t["sets"]["RegioS"] = [{"Key": k, "Title": n, "Description": ""} for k, n in regions]
    t["sets"]["Perioden"] = [{"Key": f"{y}JJ00", "Title": str(y), "Description": "", "Status": "Definitief"} for y in YEARS]
    t["sets"]["TypedDataSet"] = rows
    t["sets"]["UntypedDataSet"] = [{**r, measure: str(r[measure])} for r in rows]
    return t


def _population():
    munis = municipalities()
    pop = _draws()["pop"]
    t = _table("70072ned", "Regionale kerncijfers Nederland", "Dummy", "x", [], "TotaleBevolking_1")
    t["sets"]["DataProperties"] = [p for p in t["sets"]["DataProperties"] if p["Key"] != "Dummy"] + [
        {"odata.type": "Cbs.OData.Topic", "ID": 9, "Position": 9, "ParentID": None, "Type": "Topic",
         "Key": "MateVanStedelijkheid_105", "Title": "Mate van stedelijkheid", "Description": "", "Datatype": "Long",
         "Unit": "code", "Decimals": 0, "Default": "Missing", "PresentationType": "Absolute"}]
    del t["sets"]["Dummy"]
    t["sets"]["RegioS"] += [{"Key": c, "Title": n, "Description": ""} for c, n in FORMER]
    rows, i = [], 0
    for y in YEARS:
        rows.append({"ID": i, "RegioS": "NL01  ", "Perioden": f"{y}JJ00", "TotaleBevolking_1": sum(pop.values()),
                     "MateVanStedelijkheid_105": None})
        i += 1
        for c, _ in munis:
            if c == "GM1969" and y < 2019:
                continue   # on each year's boundaries: Westerkwartier exists from 2019
            p = pop[c] + 100 * (y - 2017)
            urban = 1 + sum(p < b for b in (100_000, 50_000, 25_000, 10_000))   # invented class 1..5 from size
            rows.append({"ID": i, "RegioS": c, "Perioden": f"{y}JJ00", "TotaleBevolking_1": p,
                         "MateVanStedelijkheid_105": urban})
            i += 1
        if y < 2019:
            for c, _ in FORMER:
                rows.append({"ID": i, "RegioS": c, "Perioden": f"{y}JJ00", "TotaleBevolking_1": 15_000,
                             "MateVanStedelijkheid_105": 5})
                i += 1
    t["sets"]["TypedDataSet"] = rows
    t["sets"]["UntypedDataSet"] = [{**r, "TotaleBevolking_1": str(r["TotaleBevolking_1"])} for r in rows]
    t["info"]["Catalog"] = "CBS"
    return t


def tables() -> dict:
    from replay import default_tables

    base = default_tables()
    crimes = [(d["Key"], d["Title"]) for d in base["47025NED"]["sets"]["SoortMisdrijf"]]
    nuisance = [(d["Key"], d["Title"]) for d in base["47021NED"]["sets"]["Overlast"]]
    return {
        "47025NED": _table("47025NED", "Geregistreerde misdrijven; soort misdrijf, regio", "SoortMisdrijf",
                           "Soort misdrijf", crimes, "GeregistreerdeMisdrijven_1"),
        "47021NED": _table("47021NED", "Geregistreerde overlast; soort overlast, regio", "Overlast", "Soort overlast",
                           nuisance, "GeregistreerdeOverlast_1"),
        "70072ned": _population(),
    }


def bron_rows() -> list[tuple]:
    """Invented accident records 2014-2023: about one per 2,000 inhabitants a year, a quarter with
    injury; one former code (GM0015) in 2018 to exercise the current-boundaries rule."""
    rng = np.random.default_rng(SEED + 1)
    pop = _draws()["pop"]
    out = []
    for c, n in municipalities():
        for y in range(2014, 2024):
            for _ in range(int(rng.poisson(pop[c] / 2000))):
                inj = rng.random() < 0.25
                out.append((y, "LET" if inj else "UMS", int(inj), c[2:], n))
    out.append((2018, "UMS", 0, "15", "Grootegast (fixture)"))
    return out


def bron_zip_all() -> bytes:
    import io
    import zipfile

    lines = [BRON_HEADER]
    for k, (year, ap3, sla, gme, naam) in enumerate(bron_rows(), start=1):
        lines.append(",".join(map(str, [f"{year}{k:07d}", "", "", f"{year}0101", year, ap3, 0, sla, 0, 0, gme,
                                        naam.replace(",", " "), "XX", "fixture"])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Ongevallengegevens/ongevallen.txt", "\r\n".join(lines) + "\r\n")
        zf.writestr("Ongevallengegevens/partijen.txt", "VKL_NUMMER,NUMMER\r\n")
    return buf.getvalue()
