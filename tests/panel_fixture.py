"""A generated all-municipality fixture for the replay server: MADE-UP VALUES, NOT REAL FIGURES.

Every current municipality of data/municipalities.csv (codes and names only) gets invented
yearly counts for 2012-2023, drawn from a fixed random seed: a population between 3,000 and
150,000 (log-uniform), a rate per inhabitant per indicator, a gentle trend, and extra-Poisson year-to-year
variation with coefficient of variation TRUE_TAU (negative-binomial type 2), so that tests can
check that the panel's dispersion estimate recovers it. E33 jumps by BREAK_FACTOR from 2020 in
every municipality (a registration break, like the real one). NL01 is the sum of the
municipalities (and of two pseudo-municipalities, GM0998/GM0999, as in the police tables). Four
former municipality codes (merged away in 2019) appear in the population table up to 2018 only,
as CBS's tables on each year's boundaries do. The nuisance table is monthly with a partial
current year; the population table is wide (hundreds of columns) and goes back to 1995; BRON
comes as one zip per year.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from replay import police_table

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
    from ivbtools.data.municipalities import current_codes

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


def _table(tid, title, dim, dim_title, keys, measure, monthly=False):
    """A police table for every municipality (and the pseudo-municipalities), the drawn counts as
    yearly figures; a monthly table also has (invented) monthly figures and a partial current year."""
    munis = municipalities()
    d = _draws()
    regions = [("NL01  ", "Nederland")] + [(c, f"{n} (gemeente)" if n == "Groningen" else n) for c, n in munis] + PSEUDO
    t = police_table(tid, title, dim, dim_title, keys, measure, regions=[], years=YEARS,
                     frequency="Permaand" if monthly else "Perjaar", monthly=monthly,
                     partial=YEARS[-1] + 1 if monthly else None)
    periods = t["sets"]["Perioden"]
    rows, i = [], 0
    for cat, _ in keys:
        for p in periods:
            y, grain = int(p["Key"][:4]), p["Key"][4:6]
            per = {c: d["counts"].get((tid, cat, c, min(y, YEARS[-1])), 0) for c, _ in munis}
            per.update({c: 3 + (y % 5) for c, _ in PSEUDO})   # invented, small
            if grain == "MM":
                per = {c: v // 12 for c, v in per.items()}
            elif y not in YEARS:   # the partial year's total so far
                per = {c: v * 10 // 12 for c, v in per.items()}
            rows.append({"ID": i, dim: cat, "RegioS": "NL01  ", "Perioden": p["Key"], measure: sum(per.values())})
            i += 1
            for c, v in per.items():
                rows.append({"ID": i, dim: cat, "RegioS": c, "Perioden": p["Key"], measure: v})
                i += 1
    t["sets"]["RegioS"] = [{"Key": k, "Title": n, "Description": ""} for k, n in regions]
    t["sets"]["TypedDataSet"] = rows
    return t


POPULATION_YEARS = list(range(1995, YEARS[-1] + 1))   # CBS lists every municipality since 1995


def _population():
    """The wide population table (hundreds of columns), every year since 1995 on each year's
    boundaries: Westerkwartier from 2019, four former codes up to 2018. No class column: the
    population per urbanisation class, with the invented class (from size) holding the middle
    inhabitant."""
    from replay import wide_population

    munis = municipalities()
    pop = _draws()["pop"]
    rows = []
    for y in POPULATION_YEARS:
        rows.append({"RegioS": "NL01  ", "Perioden": f"{y}JJ00", "TotaleBevolking_1": sum(pop.values()), "classes": None})
        for c, _ in munis:
            if c == "GM1969" and y < 2019:
                continue   # on each year's boundaries: Westerkwartier exists from 2019
            p = pop[c] + 100 * (y - 2017)
            rows.append({"RegioS": c, "Perioden": f"{y}JJ00", "TotaleBevolking_1": p, "classes": class_shares(p)})
        if y < 2019:
            for c, _ in FORMER:
                rows.append({"RegioS": c, "Perioden": f"{y}JJ00", "TotaleBevolking_1": 15_000,
                             "classes": class_shares(15_000)})
    regions = [("NL01  ", "Nederland")] + list(munis) + FORMER
    return wide_population(rows, regions, POPULATION_YEARS)


def urban_class(population: int) -> int:
    """The invented urbanisation class of the fixture: 1 (>= 100,000 inhabitants) .. 5 (< 10,000)."""
    return 1 + sum(population < b for b in (100_000, 50_000, 25_000, 10_000))


def class_shares(population: int) -> tuple[float, ...]:
    """Shares of the population per class: 60% in the invented class, 10% in each other one (so
    the middle inhabitant lives in the invented class)."""
    k = urban_class(population)
    return tuple(0.6 if c == k else 0.1 for c in range(1, 6))


def tables() -> dict:
    from replay import CRIMES, NUISANCE

    return {
        "47025NED": _table("47025NED", "Geregistreerde misdrijven; soort misdrijf, regio", "SoortMisdrijf",
                           "Soort misdrijf", CRIMES, "GeregistreerdeMisdrijven_1"),
        "47021NED": _table("47021NED", "Geregistreerde overlast; soort overlast, regio", "Overlast", "Soort overlast",
                           NUISANCE, "GeregistreerdeOverlast_1", monthly=True),
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


def bron_files_all() -> dict[str, bytes]:
    """The per-year BRON zips of the fixture (2014 up to the replay's newest published year)."""
    from replay import bron_year_files

    return bron_year_files(bron_rows(), first=2014)
