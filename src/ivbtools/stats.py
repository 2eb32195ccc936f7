"""Exact tests and intervals for counts (statsmodels.stats.rates), stated for a lay reader.

Counts of reports, burglaries and accidents are treated as Poisson counts: even with no
real change, a yearly count fluctuates by about its square root. Every verdict on a count
therefore comes with an exact one-sided test in the direction of the observed deviation
from the required level, and a 95% exact interval.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from statsmodels.stats import rates
from statsmodels.stats.proportion import proportion_confint

ALPHA = 0.05


@dataclass(frozen=True)
class TestResult:
    method: str          # short Dutch description of the test
    null_value: float    # the level (count) or ratio tested against
    alternative: str     # 'larger' | 'smaller' | 'two-sided'
    pvalue: float
    estimate: float      # observed count, or observed ratio
    ci_low: float        # 95% interval for the underlying count or ratio
    ci_high: float
    scale: str           # 'count' or 'ratio'

    @property
    def beyond_chance(self) -> bool:
        return self.pvalue < ALPHA


def count_vs_level(count: int, level: float, alternative: str) -> TestResult:
    """Exact Poisson test of one count against a fixed level (e.g. 'at or below 137')."""
    res = rates.test_poisson(int(count), 1, float(level), method="exact-c", alternative=alternative)
    lo, hi = rates.confint_poisson(int(count), 1, method="exact-c", alpha=ALPHA)
    return TestResult("exacte Poissontoets tegen een vast niveau", float(level), alternative,
                      float(res.pvalue), float(count), float(lo), float(hi), "count")


def ratio_vs_value(count_new: int, count_base: int, ratio0: float, alternative: str) -> TestResult:
    """Exact conditional test of the ratio of two counts (e.g. '2023 at most 0.8 × 2020').

    Given the total of both counts, the new count is binomial with p = r/(1+r); the 95%
    interval for the ratio is the Clopper-Pearson interval for p, transformed back.
    """
    res = rates.test_poisson_2indep(int(count_new), 1, int(count_base), 1, value=float(ratio0),
                                    method="exact-cond", compare="ratio", alternative=alternative)
    n = int(count_new) + int(count_base)
    plo, phi = proportion_confint(int(count_new), n, alpha=ALPHA, method="beta")
    lo = plo / (1 - plo)
    hi = phi / (1 - phi) if phi < 1 else math.inf
    return TestResult("exacte conditionele toets op de verhouding van twee aantallen", float(ratio0), alternative,
                      float(res.pvalue), count_new / count_base if count_base else math.inf, float(lo), float(hi), "ratio")
