"""False signals and power of the monthly model (M3) beside the yearly rule (M2.1) on the same
simulated monthly counts (issue #28); prints a table, asserts nothing (a measurement, not a test).

Each replicate draws months 2019-2024 from a model police counts follow: a yearly level shared by
the months of a year (extra relative variation tau between years), a season (a summer peak of ±35%),
a trend per year where named, an outbreak year 2023 where named, and 10% extra variation per month.
M2.1 judges the yearly sums (5 baseline years); M3 the months (verdict/surveillance.py). False = any
signal on an unchanged 2024; power = 'hoger dan verwacht' on a 2024 times `jump`. Monte-Carlo margin
1.96 * sqrt(p (1 - p) / R).

    python benchmarks/monthly_model.py              # R = 2,000, about 3 minutes on 2 cores
"""
from __future__ import annotations

import numpy as np
from _scenario_table import run

from ivbtools.verdict import surveillance
from ivbtools.verdict.signals import HIGHER, LOWER, expect

SEASON = 1 + 0.35 * np.cos(2 * np.pi * (np.arange(12) - 6) / 12)
SEASON = SEASON / SEASON.sum()
MODELS = {"M2.1 yearly": None, "M3 monthly": surveillance.RULE,
          "M3 no trend": surveillance.MonthlyRule(trend=False),
          "M3 no year shocks": surveillance.MonthlyRule(year_shocks=False)}
SCENARIOS = [   # label, per year, tau between years, trend per year, outbreak factor 2023, jump in 2024
    ("stable", 30, 0.0, 0.0, None, 2.0), ("stable", 100, 0.0, 0.0, None, 1.5), ("stable", 500, 0.0, 0.0, None, 1.3),
    ("+10% var", 30, 0.1, 0.0, None, 2.0), ("+10% var", 100, 0.1, 0.0, None, 1.5), ("+10% var", 500, 0.1, 0.0, None, 1.3),
    ("trend +5%", 100, 0.1, 0.05, None, 1.5), ("trend +5%", 500, 0.1, 0.05, None, 1.3),
    ("trend -5%", 100, 0.1, -0.05, None, 1.5), ("trend -5%", 500, 0.1, -0.05, None, 1.3),
    ("2023 x2", 30, 0.1, 0.0, 2.0, 2.0), ("2023 x2", 100, 0.1, 0.0, 2.0, 1.5),
]


def _months(rng, per_year, tau, trend, outbreak, jump):
    out = {}
    for y in range(2019, 2025):
        level = per_year * (1 + trend) ** (y - 2024)
        level *= rng.gamma(1 / tau ** 2, tau ** 2) if tau else 1.0
        if y == 2023 and outbreak:
            level *= outbreak
        if y == 2024:
            level *= jump
        lam = level * SEASON * rng.gamma(100, 0.01, 12)   # 10% extra variation per month
        for m, c in enumerate(rng.poisson(lam), start=1):
            out[(y, m)] = float(c)
    return out


def _signal(model, months) -> str:
    judged = sum(v for (y, _), v in months.items() if y == 2024)
    if model is None:
        yearly = {y: sum(v for (yy, _), v in months.items() if yy == y) for y in range(2019, 2024)}
        e = expect(yearly, 2024)
    else:
        e = surveillance.expect_months({k: v for k, v in months.items() if k[0] < 2024}, 2024, 12, rule=model)
    return e.signal(judged)


def cell(args):
    label, per_year, tau, trend, outbreak, jump, name, reps, seed = args
    rng = np.random.default_rng(seed)
    hi = lo = power = 0
    for _ in range(reps):
        s = _signal(MODELS[name], _months(rng, per_year, tau, trend, outbreak, 1.0))
        hi += s == HIGHER
        lo += s == LOWER
        power += _signal(MODELS[name], _months(rng, per_year, tau, trend, outbreak, jump)) == HIGHER
    return label, per_year, tau, name, hi / reps, lo / reps, power / reps, jump


def main() -> None:
    run(cell, SCENARIOS, list(MODELS), seed0=500, size_label="/year")


if __name__ == "__main__":
    main()
