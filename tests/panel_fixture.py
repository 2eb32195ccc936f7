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
         ("47021NED", "E33   "): (2.0, 0.03), ("47021NED", "E35   "): (4.0, -0.02),
         # appended (draws of the ones above unchanged): the monitor's further indicators
         ("47025NED", "3.1.1 "): (0.7, 0.0), ("47025NED", "1.6.3 "): (0.05, 0.0), ("47025NED", "2.5.1 "): (0.8, -0.04),
         ("47021NED", "E38   "): (1.5, 0.0),
         # appended (issue #27): vandalism, vehicle and bicycle thefts, violence, robberies
         ("47025NED", "2.2.1 "): (3.5, -0.02), ("47025NED", "1.2.1 "): (2.0, -0.03), ("47025NED", "1.2.2 "): (0.5, 0.0),
         ("47025NED", "1.2.3 "): (5.0, -0.02), ("47025NED", "1.4.1 "): (0.3, 0.02), ("47025NED", "1.4.2 "): (0.02, 0.0),
         ("47025NED", "1.4.3 "): (0.2, 0.0), ("47025NED", "1.4.4 "): (1.0, 0.0), ("47025NED", "1.4.5 "): (2.5, 0.0),
         ("47025NED", "1.4.6 "): (0.15, -0.05), ("47025NED", "1.4.7 "): (0.05, -0.05)}


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
    counts, levels = {}, {}
    for (tid, cat), (rate, trend) in RATES.items():
        for c, _ in munis:
            level = levels[(tid, cat, c)] = rng.lognormal(0, 0.3)
            for y in YEARS:
                mu = pop[c] / 1000 * rate * level * np.exp(trend * (y - 2017))
                if cat.strip() == "E33" and y >= 2020:
                    mu *= BREAK_FACTOR
                mu *= rng.gamma(1 / TRUE_TAU ** 2, TRUE_TAU ** 2)   # mean 1, CV TRUE_TAU
                counts[(tid, cat, c, y)] = int(rng.poisson(mu))
    return {"pop": pop, "counts": counts, "levels": levels}


# --- the monitor stand-in (issue #19): whole years to 2025, months to October 2026 -------------
THROUGH = (2026, 10)
PARTIAL_MONTHS = 10   # the stand-ins' current year holds January-October (as served in November/December)
LATER = [2024, 2025, 2026]
# planted: from January 2026 Westerkwartier's E33 reports double; every other series is stable
JUMPS = {("47021NED", "E33   ", "GM1969", 2026): 2.0}
SEASON = 1 + 0.35 * np.cos(2 * np.pi * (np.arange(12) - 6) / 12)   # invented: a summer peak
SEASON = SEASON / SEASON.sum()


@functools.lru_cache(maxsize=1)
def _later_draws() -> dict:
    """Counts for 2024-2026 by the same model as _draws (own seed, so the 2012-2023 draws stay as
    they are), the planted jump applied, and every year split into months (multinomial with the
    invented season)."""
    rng = np.random.default_rng(SEED + 2)
    d = _draws()
    munis = municipalities()
    counts = dict(d["counts"])
    for (tid, cat), (rate, trend) in RATES.items():
        for c, _ in munis:
            for y in LATER:
                mu = d["pop"][c] / 1000 * rate * d["levels"][(tid, cat, c)] * np.exp(trend * (y - 2017))
                if cat.strip() == "E33":
                    mu *= BREAK_FACTOR
                mu *= rng.gamma(1 / TRUE_TAU ** 2, TRUE_TAU ** 2) * JUMPS.get((tid, cat, c, y), 1.0)
                counts[(tid, cat, c, y)] = int(rng.poisson(mu))
    months = {}
    # each table's months from their own seed: adding a category or a table changes no other month
    for table, seed in (("47021NED", SEED + 3), ("47025NED", SEED + 4)):
        rng = np.random.default_rng(seed)
        for (tid, cat), _ in RATES.items():
            if tid != table:
                continue
            for c, _ in munis:
                for y in YEARS + LATER:
                    months[(tid, cat, c, y)] = rng.multinomial(counts[(tid, cat, c, y)], SEASON)
    return {"counts": counts, "months": months}


def _table(tid, title, dim, dim_title, keys, measure, monthly=False, later=False, counts_of=None):
    """A police table for every municipality (and the pseudo-municipalities), the drawn counts as
    yearly figures; a monthly table also has (invented) monthly figures and a partial current year.
    `later`: the monitor stand-in, whole years to 2025 and a monthly table's months to October 2026
    (the months add up to the year)."""
    munis = municipalities()
    d = _later_draws() if later else _draws()
    table_id, tid = tid, counts_of or tid   # a table that serves another table's draws (47013NED: 47025NED's)
    years = YEARS + LATER[:-1] if later else YEARS
    assert not later or THROUGH[0] == LATER[-1]
    regions = [("NL01  ", "Nederland")] + [(c, f"{n} (gemeente)" if n == "Groningen" else n) for c, n in munis] + PSEUDO
    t = police_table(table_id, title, dim, dim_title, keys, measure, regions=[], years=years,
                     frequency="Permaand" if monthly else "Perjaar", monthly=monthly,
                     partial=years[-1] + 1 if monthly else None, partial_months=PARTIAL_MONTHS, modified="2026-11-20T02:00:00" if later else
                     "2024-03-01T02:00:00")
    periods = t["sets"]["Perioden"]
    rows, i = [], 0
    for cat, _ in keys:
        for p in periods:
            y, grain = int(p["Key"][:4]), p["Key"][4:6]
            if later and monthly:
                m = int(p["Key"][6:]) if grain == "MM" else None
                split = {c: d["months"].get((tid, cat, c, y), np.zeros(12, int)) for c, _ in munis}
                per = {c: int(v[m - 1]) if m else int(v[:PARTIAL_MONTHS].sum() if y not in years else v.sum())
                       for c, v in split.items()}
                per.update({c: 0 if m else 3 + (y % 5) for c, _ in PSEUDO})   # invented, small
            else:
                per = {c: d["counts"].get((tid, cat, c, min(y, years[-1])), 0) for c, _ in munis}
                per.update({c: 3 + (y % 5) for c, _ in PSEUDO})   # invented, small
                if grain == "MM":
                    per = {c: v // 12 for c, v in per.items()}
                elif y not in years:   # the partial year's total so far
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


def _population(last: int = YEARS[-1]):
    """The wide population table (hundreds of columns), every year since 1995 on each year's
    boundaries: Westerkwartier from 2019, four former codes up to 2018. No class column: the
    population per urbanisation class, with the invented class (from size) holding the middle
    inhabitant."""
    from replay import wide_population

    munis = municipalities()
    pop = _draws()["pop"]
    rows = []
    years = list(range(POPULATION_YEARS[0], last + 1))
    for y in years:
        rows.append({"RegioS": "NL01  ", "Perioden": f"{y}JJ00", "TotaleBevolking_1": sum(pop.values()), "classes": None})
        for c, _ in munis:
            if c == "GM1969" and y < 2019:   # on each year's boundaries: Westerkwartier exists from 2019 (an empty cell)
                rows.append({"RegioS": c, "Perioden": f"{y}JJ00", "TotaleBevolking_1": None, "classes": None})
                continue
            p = pop[c] + 100 * (y - 2017)
            rows.append({"RegioS": c, "Perioden": f"{y}JJ00", "TotaleBevolking_1": p, "classes": class_shares(p)})
        for c, _ in FORMER:   # the former codes up to 2018, empty cells after (the cube is complete)
            rows.append({"RegioS": c, "Perioden": f"{y}JJ00", "TotaleBevolking_1": 15_000 if y < 2019 else None,
                         "classes": class_shares(15_000) if y < 2019 else None})
    regions = [("NL01  ", "Nederland")] + list(munis) + FORMER
    return wide_population(rows, regions, years)


def urban_class(population: int) -> int:
    """The invented urbanisation class of the fixture: 1 (>= 100,000 inhabitants) .. 5 (< 10,000)."""
    return 1 + sum(population < b for b in (100_000, 50_000, 25_000, 10_000))


def class_shares(population: int) -> tuple[float, ...]:
    """Shares of the population per class: 60% in the invented class, 10% in each other one (so
    the middle inhabitant lives in the invented class)."""
    k = urban_class(population)
    return tuple(0.6 if c == k else 0.1 for c in range(1, 6))


def tables(later: bool = False) -> dict:
    """The replay's tables; `later`: the monitor stand-in (whole years to 2025, the nuisance table's
    months to October 2026, Westerkwartier's E33 doubled from January 2026)."""
    from replay import CRIMES, NUISANCE

    return {
        "47025NED": _table("47025NED", "Geregistreerde misdrijven; soort misdrijf, regio", "SoortMisdrijf",
                           "Soort misdrijf", CRIMES, "GeregistreerdeMisdrijven_1", later=later),
        "47021NED": _table("47021NED", "Geregistreerde overlast; soort overlast, regio", "Overlast", "Soort overlast",
                           NUISANCE, "GeregistreerdeOverlast_1", monthly=True, later=later),
        # crimes by month (the monitor's year to date): the same draws as 47025NED, split into months
        "47013NED": _table("47013NED", "Geregistreerde misdrijven en aangiften; soort misdrijf, gemeente", "SoortMisdrijf",
                           "Soort misdrijf", CRIMES, "GeregistreerdeMisdrijven_1", monthly=True, later=later,
                           counts_of="47025NED"),
        "70072ned": _population(LATER[-2] if later else YEARS[-1]),
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
