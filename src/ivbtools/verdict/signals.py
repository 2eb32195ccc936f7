"""Expected range and signal for a yearly count (the 2024–2027 monitor, issue #19).

Fixed in docs/methods.md ('Monitor 2024–2027: verwachting en signaal') before any result, after
the improved Farrington method (Noufaily et al. 2013, Statistics in Medicine 32:1206) as used in
public-health surveillance, simplified to yearly counts:

- Baseline: up to BASELINE_YEARS whole years before the year judged, without the years before a
  known registration break (the break's transition year included) and without abnormal years
  (the corona years): no term across a break. Fewer than MIN_YEARS left: no expectation.
- Model: a quasi-Poisson log-linear trend, log mu = a + b * year, fitted by statsmodels' GLM with
  the Pearson dispersion phi (at least 1). The trend is kept only when it is significant
  (two-sided p < 0.05) and there are at least 4 baseline years; otherwise the mean is flat
  (Farrington's rule against extrapolating noise).
- Prediction interval (two-sided, LEVEL): the variance of a new count is phi * mu + mu^2 *
  Var(eta), eta the linear predictor (the estimate's own uncertainty); the bounds use the
  2/3-power transformation of Farrington (counts are skewed) and a t quantile with the
  residual degrees of freedom where phi is estimated from few years (a normal quantile where
  phi is floored at the Poisson value 1).
- Signal: above the upper bound 'hoger dan verwacht', below the lower bound 'lager dan
  verwacht', else 'binnen de verwachting'; no figure 'geen gegevens'; no baseline 'geen
  verwachting'.

tests/test_signals.py measures the false-signal rate on stable overdispersed series and the power
on planted jumps by seeded simulation, at 10–500 a year.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

METHOD = "M2"   # the version of docs/monitor-methods.md this implements
# How often one judgement signals by chance (docs/monitor-methods.md, 'Chance signals on a page'):
# 6-9% measured on stable series (the file's tables), 8-12% with extra year-to-year variation or a
# real trend (the independent review of issue #28). Said on every page beside the signals.
CHANCE_PER_JUDGEMENT = (0.06, 0.12)
BASELINE_YEARS = 5
MIN_YEARS = 3
LEVEL = 0.95
TREND_P = 0.05

HIGHER, LOWER, WITHIN, NO_DATA, NO_EXPECTATION = (
    "hoger dan verwacht", "lager dan verwacht", "binnen de verwachting", "geen gegevens", "geen verwachting")


@dataclass(frozen=True)
class Expectation:
    year: int
    expected: float
    low: float
    high: float
    baseline_years: tuple[int, ...]
    trend: bool                # the fitted trend was kept
    phi: float                 # quasi-Poisson dispersion (>= 1)

    def signal(self, value: float | None) -> str:
        if value is None or not np.isfinite(value):
            return NO_DATA
        if value > self.high:
            return HIGHER
        if value < self.low:
            return LOWER
        return WITHIN


def baseline_years(series: dict[int, float], year: int, excluded: set[int] | frozenset = frozenset(),
                   break_years: list[int] | tuple[int, ...] = ()) -> list[int]:
    """The baseline years for `year`: up to BASELINE_YEARS known years before it, none before (or
    at) the last break year before `year`, none of the `excluded` (abnormal) years."""
    floor = max([b for b in break_years if b < year], default=None)
    years = [y for y in sorted(series) if y < year and (floor is None or y > floor) and y not in excluded
             and series[y] is not None and np.isfinite(series[y])]
    return years[-BASELINE_YEARS:]


def expect(series: dict[int, float], year: int, excluded=frozenset(), break_years=()) -> Expectation | None:
    """The expected range of `year` from the years before it (None: too few baseline years)."""
    import statsmodels.api as sm

    years = baseline_years(series, year, excluded, break_years)
    if len(years) < MIN_YEARS:
        return None
    y = np.array([series[t] for t in years], dtype=float)
    if (y < 0).any():
        raise ValueError("counts cannot be negative")
    x = np.array(years, dtype=float) - year
    if y.sum() == 0:   # nothing ever counted: expect nothing, and a handful is already a signal
        return Expectation(year, 0.0, 0.0, float(sps.poisson.ppf(LEVEL, 1.0 / len(years))), tuple(years), False, 1.0)
    trend = False
    if len(years) >= 4 and len(set(y)) > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Poisson()).fit(scale="X2")
        trend = bool(fit.pvalues[1] < TREND_P)
    if trend:
        scale = float(fit.scale)
        phi = max(1.0, scale)
        exog = np.array([1.0, 0.0])   # x = 0 is the year judged
        mu = float(np.exp(exog @ fit.params))
        cov = np.asarray(fit.cov_params()) * (phi / scale if scale > 0 else 1.0)
        var_eta = float(exog @ cov @ exog)
    else:
        # the flat quasi-Poisson model in closed form (the GLM's own answer: mu = mean, Pearson
        # dispersion, Var(log mu) = phi / (n mu)); statsmodels' IRLS fails on a constant series
        mu = float(y.mean())
        scale = float(((y - mu) ** 2 / mu).sum() / (len(y) - 1))
        phi = max(1.0, scale)
        var_eta = phi / (len(y) * mu)
    # phi estimated from few years: a t quantile; floored at Poisson (phi = 1, known): a normal one
    df = max(len(years) - (2 if trend else 1), 1)
    q = sps.t.ppf(0.5 + LEVEL / 2, df=df) if scale > 1 else sps.norm.ppf(0.5 + LEVEL / 2)
    sd = np.sqrt(phi * mu + mu * mu * var_eta)
    # Farrington's 2/3-power transformation: bounds mu * (1 +- 2/3 * q * sd / mu) ** (3/2)
    step = (2.0 / 3.0) * q * sd / mu
    high = mu * (1 + step) ** 1.5
    low = mu * max(1 - step, 0.0) ** 1.5
    return Expectation(year, mu, low, high, tuple(years), trend, phi)
