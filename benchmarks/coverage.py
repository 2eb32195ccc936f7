"""Simulation study: how often the robust 95% interval covers the truth, with tau estimated.

Seeded; no real figures. Each series has 12 yearly counts around a level with a gentle trend and
year-to-year deviations with sd tau (independent, or AR(1) with rho = 0.5). The quantity a
verdict is about is the municipality's underlying level, so the truth is the trend ratio of
2023 to 2020. Printed per count level and tau: the coverage of

- Poisson only (no overdispersion),
- the robust interval with tau known,
- tau estimated from the own series (Poisson trend fit, moment estimator; as `ivb` does without
  a national panel),
- tau estimated from a group of 60 series (second differences pooled, autocorrelation widening;
  as `ivb` does with a panel),

and the share of own series whose estimate is 0. This is what docs/methods.md quotes.

    python benchmarks/coverage.py [--reps 600]
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ivbtools import stats  # noqa: E402

YEARS = list(range(2012, 2024))
B, E = YEARS.index(2020), YEARS.index(2023)


def simulate(rng, n, level, tau, rho):
    e = np.zeros((n, 12))
    e[:, 0] = rng.normal(0, tau, n)
    for t in range(1, 12):
        e[:, t] = rho * e[:, t - 1] + rng.normal(0, tau * math.sqrt(max(0.0, 1 - rho ** 2)), n)
    trend = level * np.exp(0.02 * (np.arange(12) - 6))[None, :] * np.ones((n, 1))
    return rng.poisson(trend * np.exp(e)).astype(float), trend


def covered(y, trend, taus):
    lo, hi = stats.ratio_interval_robust_v(y[:, E], y[:, B], taus)
    truth = trend[:, E] / trend[:, B]
    return (lo <= truth) & (truth <= hi)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=600, help="series per cell")
    args = ap.parse_args()
    rng = np.random.default_rng(20261202)
    print(f"{'shocks':12} {'count':>5} {'tau':>5} | {'Poisson':>7} {'known':>6} {'own':>6} {'panel':>6} | own tau = 0")
    for rho, label in ((0.0, "independent"), (0.5, "AR(1) 0.5")):
        for level in (20, 100, 400):
            for tau in (0.05, 0.10, 0.20):
                y, trend = simulate(rng, args.reps, level, tau, rho)
                poisson = covered(y, trend, np.zeros(len(y))).mean()
                known = covered(y, trend, np.full(len(y), tau)).mean()   # the sd of the deviations itself
                own_taus = []
                for row in y:
                    d = stats.estimate_dispersion(YEARS, row)
                    own_taus.append(d.tau if d is not None else 0.0)
                own = covered(y, trend, np.array(own_taus)).mean()
                panel_taus = np.zeros(len(y))
                for start in range(0, len(y), 60):   # groups of 60 series share one estimate
                    g = slice(start, start + 60)
                    S2, m2 = stats.dispersion_terms(y[g], YEARS, min_count=0)
                    S1, m1 = stats.first_difference_terms(y[g], YEARS, min_count=0)
                    t = stats.pooled_tau(S2, m2) or 0.0
                    panel_taus[g] = t * math.sqrt(stats.lag_factor(stats.autocorrelation(S2, m2, S1, m1), 3))
                panel = covered(y, trend, panel_taus).mean()
                zero = float(np.mean(np.array(own_taus) == 0))
                print(f"{label:12} {level:5d} {tau:5.2f} | {poisson:7.3f} {known:6.3f} {own:6.3f} {panel:6.3f} | {zero:.2f}")


if __name__ == "__main__":
    main()
