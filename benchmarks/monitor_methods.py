"""How the monitor's method (docs/monitor-methods.md, M2) behaves after a signalled year, by seeded
simulation; prints a table, asserts nothing (a measurement, not a test).

A year far outside its range stays in the baseline of the five years after it (M2 has no
down-weighting), inflates the dispersion and widens every later range. This script measures that
blind spot and one candidate remedy, not adopted: winsorising each baseline year that the method
itself signalled to the bound it crossed (recursively, oldest first). The improved Farrington
reweighting (Noufaily et al. 2013, threshold 2.58 on Anscombe residuals) was tried too: with five
baseline years no residual can reach 2.58 (one outlier inflates the very dispersion it is scaled
by), so it changes nothing here.

    python benchmarks/monitor_methods.py           # about a minute on one core
"""
from __future__ import annotations

import numpy as np

from ivbtools.verdict.signals import HIGHER, WITHIN, expect

SIMS = 300
CASES = [(10, 0.0, 3.0), (30, 0.1, 2.0), (100, 0.1, 1.6), (500, 0.1, 1.5)]   # per year, extra variation, jump


def _nb(rng, mu: float, tau: float, size: int) -> np.ndarray:
    if tau == 0:
        return rng.poisson(mu, size)
    k = 1 / tau ** 2
    return rng.poisson(rng.gamma(k, mu / k, size))


def winsorised(series: dict[int, float], year: int):
    """The candidate: every earlier year outside its own range (from the winsorised years before
    it) set to the bound it crossed, then the expectation of `year`."""
    kept: dict[int, float] = {}
    for t in sorted(u for u in series if u < year):
        e = expect(dict(kept), t)
        kept[t] = series[t] if e is None else min(max(series[t], e.low), e.high)
    return expect(kept, year)


def measure(rule, mu, tau, jump, prior_jump=None, seed=7):
    """Ten years of history (2014-2023), the last one times `prior_jump` when given; then the
    share of stable 2024 figures signalled, of jumped ones signalled higher, the median range width."""
    rng = np.random.default_rng(seed)
    false = power = 0
    widths = []
    for _ in range(SIMS):
        ys = _nb(rng, mu, tau, 10).astype(float)
        if prior_jump:
            ys[-1] = _nb(rng, mu * prior_jump, tau, 1)[0]
        e = rule({2014 + j: v for j, v in enumerate(ys)}, 2024)
        false += e.signal(float(_nb(rng, mu, tau, 1)[0])) != WITHIN
        power += e.signal(float(_nb(rng, mu * jump, tau, 1)[0])) == HIGHER
        widths.append(e.high - e.low)
    return false / SIMS, power / SIMS, float(np.median(widths))


def main() -> None:
    print(f"{'per year':>8} {'jump':>5} | {'rule':10} | {'stable: false':>13} {'power':>6} {'width':>7} | "
          f"{'after a x3 year: false':>22} {'power':>6} {'width':>7}")
    for mu, tau, jump in CASES:
        for name, rule in (("M2", expect), ("winsorised", winsorised)):
            f, p, w = measure(rule, mu, tau, jump)
            f3, p3, w3 = measure(rule, mu, tau, jump, prior_jump=3.0)
            print(f"{mu:>8} {jump:>5} | {name:10} | {f:>13.0%} {p:>6.0%} {w:>7.0f} | {f3:>22.0%} {p3:>6.0%} {w3:>7.0f}")


if __name__ == "__main__":
    main()
