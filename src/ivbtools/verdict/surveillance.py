"""M3: the expected range of a year (or a year to date) from monthly counts (issue #28; written in
docs/monitor-methods.md, section M3, before any page used it).

After the improved Farrington method (Noufaily et al. 2013, Statistics in Medicine 32:1206) on
monthly police counts:

- Baseline: the months of up to YEARS whole years before the judged year, without abnormal years,
  without the months up to a registration break's transition year, and without the GAP months right
  before the judged period (a rise that has already begun does not lift its own expectation).
- Model: a Poisson log-linear model with a level, a linear trend in years and a factor for the
  calendar month (the season), fitted by IRLS; the quasi-Poisson dispersion phi from the Pearson
  residuals (floored at 1); then months whose standardised Anscombe residual exceeds CUTOFF are
  down-weighted by r^-2 (weights scaled to sum to the number of months) and the model refitted —
  a past outbreak then lifts the expectation far less.
- Year shocks: police months of one year share a level (registration practice, a local event), so the
  sum of twelve months varies more than phi says. The extra relative variation of a baseline year,
  tau^2, is estimated from the yearly sums of the fit's residuals (moment estimator, at least 0) and
  added to the variance of the judged sum.
- The judged period: the sum of its months against the sum of the expected months; variance
  phi * S + S^2 * (tau^2 + Var(eta_S)), Var(eta_S) from the fit's covariance by the delta method;
  bounds by Farrington's 2/3-power transformation with a t quantile on n - p degrees of freedom.
- A signal 'hoger dan verwacht' needs at least MIN_COUNT in the judged period.

benchmarks/monthly_model.py measures it beside the yearly rule (M2.1) at R = 2,000.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from .signals import LEVEL, Expectation

METHOD = "M3"


@dataclass(frozen=True)
class MonthlyRule:
    years: int = 5            # baseline: the months of up to 5 whole years before
    min_months: int = 36      # fewer baseline months: no expectation (the yearly rule decides)
    gap: int = 3              # months right before the judged period left out of the baseline
    cutoff: float | None = 2.58   # Anscombe residuals above this are down-weighted (None: no reweighting)
    year_shocks: bool = True  # add the baseline years' extra variation to the judged sum
    trend: bool = True        # a linear trend in years (always fitted, as Noufaily et al.)
    min_count: int = 5        # 'hoger dan verwacht' needs at least this many in the judged period


RULE = MonthlyRule()


def _irls(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Poisson log-linear fit: (params, mu)."""
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(max(float(np.average(y, weights=w)), 1e-6))
    for _ in range(100):
        mu = np.exp(np.clip(X @ beta, -30, 30))
        z = X @ beta + (y - mu) / mu
        XtW = X.T * (w * mu)
        new = np.linalg.lstsq(XtW @ X, XtW @ z, rcond=None)[0]
        if np.max(np.abs(new - beta)) < 1e-9:
            beta = new
            break
        beta = new
    return beta, np.exp(np.clip(X @ beta, -30, 30))


def _design(t_years: np.ndarray, months: np.ndarray, season: list[int], trend: bool = True) -> np.ndarray:
    cols = [np.ones_like(t_years)] + ([t_years] if trend else []) + [(months == m).astype(float) for m in season[1:]]
    return np.column_stack(cols)


def expect_months(monthly: dict[tuple[int, int], float], year: int, last_month: int = 12,
                  excluded=frozenset(), break_years=(), rule: MonthlyRule = RULE) -> Expectation | None:
    """The expected range of the sum of months 1..last_month of `year` from the monthly counts before
    it (`monthly`: (year, month) -> count). None: too few baseline months."""
    floor = max([b for b in break_years if b < year], default=None)
    first = year - rule.years
    gap_start = (year * 12) - rule.gap          # month index (y*12 + m-1) of the first left-out month
    keys = [(y, m) for (y, m), v in monthly.items()
            if first <= y < year and y not in excluded and (floor is None or y > floor)
            and y * 12 + (m - 1) < gap_start and v is not None and np.isfinite(v)]
    if len(keys) < rule.min_months:
        return None
    keys.sort()
    yv = np.array([monthly[k] for k in keys], dtype=float)
    if (yv < 0).any():
        raise ValueError("counts cannot be negative")
    years_of = np.array([k[0] for k in keys])
    months = np.array([k[1] for k in keys])
    season = sorted(set(int(m) for m in months))
    if set(range(1, last_month + 1)) - set(season):
        return None   # a judged month never seen in the baseline
    t = (years_of - year) + (months - 1) / 12.0
    X = _design(t, months, season, rule.trend)
    n, p = X.shape
    if yv.sum() == 0:
        return Expectation(year, 0.0, 0.0, float(rule.min_count) - 0.5, tuple(sorted(set(years_of.tolist()))), False, 1.0)
    w = np.ones(n)
    beta, mu = _irls(yv, X, w)
    phi = max(1.0, float(((yv - mu) ** 2 / mu).sum() / max(n - p, 1)))
    if rule.cutoff is not None:
        # standardised Anscombe residuals; months far above their fit count less (Noufaily et al.)
        r = 1.5 * (yv ** (2 / 3) - mu ** (2 / 3)) / (mu ** (1 / 6) * np.sqrt(phi))
        if (r > rule.cutoff).any():
            w = np.where(r > rule.cutoff, 1.0 / np.maximum(r, 1e-9) ** 2, 1.0)
            w = w * n / w.sum()
            beta, mu = _irls(yv, X, w)
            phi = max(1.0, float((w * (yv - mu) ** 2 / mu).sum() / max(n - p, 1)))
    info = (X.T * (w * mu)) @ X
    cov = np.linalg.pinv(info) * phi
    # the judged months
    jm = np.arange(1, last_month + 1)
    Xj = _design(np.zeros(last_month) + (jm - 1) / 12.0, jm, season, rule.trend)
    muj = np.exp(Xj @ beta)
    S = float(muj.sum())
    g = (Xj.T * muj).sum(axis=1)
    var_eta = float(g @ cov @ g) / (S * S)
    tau2, k = 0.0, 0
    if rule.year_shocks:
        # the baseline years' sums against their fitted sums: extra relative variation beyond phi
        obs_y, exp_y = {}, {}
        for yy, o, e in zip(years_of, yv, mu):
            obs_y[yy] = obs_y.get(yy, 0.0) + o
            exp_y[yy] = exp_y.get(yy, 0.0) + e
        ys = [yy for yy in obs_y if exp_y[yy] > 0]
        if len(ys) >= 3:
            rel = np.array([(obs_y[yy] - exp_y[yy]) / exp_y[yy] for yy in ys])
            poisson_part = np.array([phi / exp_y[yy] for yy in ys])
            k = len(ys)
            tau2 = max(0.0, float((rel ** 2 - poisson_part).sum() / (k - 1)))
    a_part, b_part = phi * S + S * S * var_eta, S * S * tau2
    sd = np.sqrt(a_part + b_part)
    # Welch-Satterthwaite: the month part is known on n - p degrees of freedom, the year part on k - 1
    df = (a_part + b_part) ** 2 / (a_part ** 2 / max(n - p, 1) + (b_part ** 2 / (k - 1) if k > 1 else 0.0))
    q = sps.t.ppf(0.5 + LEVEL / 2, df=max(df, 1.0))
    step = (2.0 / 3.0) * q * sd / S
    high = max(S * (1 + step) ** 1.5, rule.min_count - 0.5)
    low = S * max(1 - step, 0.0) ** 1.5
    return Expectation(year, S, low, high, tuple(sorted(set(int(v) for v in years_of))), rule.trend, phi)
