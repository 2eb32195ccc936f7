"""Expected range and signal for a yearly count (the 2024–2027 monitor, issues #19 and #28).

The rule of docs/monitor-methods.md (version METHOD, M2.2), after Farrington et al. (1996, J. R.
Stat. Soc. A 159:547) as used in public-health surveillance, simplified to yearly counts:

- Baseline: up to BASELINE_YEARS whole years before the year judged, without the years before a
  known registration break (the break's transition year included) and without abnormal years
  (the corona years): no term across a break. Fewer than MIN_YEARS left: no expectation.
- Model: a quasi-Poisson log-linear trend, log mu = a + b * year (a Poisson GLM by IRLS, the
  Pearson dispersion phi floored at 1). The trend is kept only with at least 4 baseline years, when
  its t test (floored scale, n - 2 df) gives p < 0.05 and its prediction does not lie above the
  highest baseline year (Farrington's gate and guard; Noufaily et al. 2013 fit it always).
- Prediction interval (two-sided, LEVEL): the variance of a new count is phi * mu + mu^2 *
  Var(eta), eta the linear predictor (the estimate's own uncertainty); the bounds use the
  2/3-power transformation of Farrington (counts are skewed) and always a t quantile on n - p
  degrees of freedom (phi is estimated; no switch at phi = 1).
- Signal: above the upper bound HIGHER ('hoger dan verwacht'), below the lower bound LOWER
  ('lager dan verwacht'), else WITHIN ('binnen de verwachting'); no figure NO_DATA ('geen
  gegevens'); no baseline NO_EXPECTATION ('geen verwachting'). A signal is *strong* when the
  figure also lies outside the range at STRONG_LEVEL (two-sided 99%, the same model): chance
  alone gives that in well under 1 of 100 judgements on a stable series
  (benchmarks/signal_rules.py); a signal inside it is one chance explains easily.

tests/test_signals.py checks the false-signal rate, the trend gate's level, the range's continuity
and the outbreak case by seeded simulation; benchmarks/signal_rules.py measures all scenarios at
R = 2,000 beside the rule before (M2_RULE) and the alternatives.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from ..data.series import Series

METHOD = "M2.2"   # the version of docs/monitor-methods.md this implements
# How often one judgement signals by chance under M2.1 (docs/monitor-methods.md, benchmarks/signal_rules.py):
# about 1% on stable series up to 10% with a real trend of 5% a year. Said on every page beside the signals.
CHANCE_PER_JUDGEMENT = (0.01, 0.10)
# the same for a strong signal (M2.2, outside the STRONG_LEVEL range): 0 to 1,9% by scenario at R = 2,000
CHANCE_STRONG_PER_JUDGEMENT = 0.02
BASELINE_YEARS = 5
MIN_YEARS = 3
LEVEL = 0.95
STRONG_LEVEL = 0.99   # a signal outside this range too is a strong one (docs/monitor-methods.md, M2.2)
TREND_P = 0.05

# A signal is a code; SIGNAL_NL holds its Dutch words (one vocabulary, as verdict/rules.py STATUS_NL
# for the verdicts): tables, CSV files and pages show the words, the code decides.
HIGHER, LOWER, WITHIN, NO_DATA, NO_EXPECTATION = "higher", "lower", "within", "no_data", "no_expectation"
SIGNAL_NL = {HIGHER: "hoger dan verwacht", LOWER: "lager dan verwacht", WITHIN: "binnen de verwachting",
             NO_DATA: "geen gegevens", NO_EXPECTATION: "geen verwachting"}
# the strength of a signal (M2.2): outside the STRONG_LEVEL range too, or only outside the LEVEL range
STRONG, WEAK = "strong", "weak"
STRENGTH_NL = {STRONG: "sterk", WEAK: "zwak"}


def signal_label(code: str) -> str:
    """The Dutch words of a signal code ('' stays '': an indicator without a national signal)."""
    return SIGNAL_NL[code] if code else ""


def strength_label(code: str) -> str:
    """'sterk' / 'zwak' for a strength code, '' without a signal."""
    return STRENGTH_NL[code] if code else ""


@dataclass(frozen=True)
class Expectation:
    year: int
    expected: float
    low: float
    high: float
    baseline_years: tuple[int, ...]
    trend: bool                # the fitted trend was kept
    phi: float                 # quasi-Poisson dispersion (>= 1)
    guarded: bool = False      # a significant trend was left out: its prediction lay above the baseline's maximum
    strong_low: float | None = None    # the range at STRONG_LEVEL (None: the same as low / high)
    strong_high: float | None = None

    def signal(self, value: float | None, strong: bool = False) -> str:
        """The signal at LEVEL, or with `strong` at STRONG_LEVEL (a strong signal)."""
        if value is None or not np.isfinite(value):
            return NO_DATA
        low = self.low if not strong or self.strong_low is None else self.strong_low
        high = self.high if not strong or self.strong_high is None else self.strong_high
        if value > high:
            return HIGHER
        if value < low:
            return LOWER
        return WITHIN

    def strength(self, value: float | None) -> str:
        """STRONG when the figure lies outside the STRONG_LEVEL range too (chance rarely gives that),
        WEAK for a signal inside it (chance gives it easily), '' without a signal."""
        if self.signal(value) not in (HIGHER, LOWER):
            return ""
        return STRONG if self.signal(value, strong=True) in (HIGHER, LOWER) else WEAK


def baseline_years(series: dict[int, float], year: int, excluded: set[int] | frozenset = frozenset(),
                   break_years: list[int] | tuple[int, ...] = ()) -> list[int]:
    """The baseline years for `year`: up to BASELINE_YEARS known years before it, none before (or
    at) the last break year before `year`, none of the `excluded` (abnormal) years."""
    s = Series("", "", series, tuple(break_years), tuple(sorted(excluded)))
    return s.after_last_break(year)[-BASELINE_YEARS:]


@dataclass(frozen=True)
class YearlyRule:
    """The choices of the yearly rule, as data (docs/monitor-methods.md): the adopted one is RULE;
    benchmarks/signal_rules.py measures the others beside it."""
    t_always: bool = True        # a t quantile on n - p degrees of freedom whenever phi is estimated (M2: only when > 1)
    trend: str = "t-gate"        # "t-gate": kept when its t test (floored scale, n - 2 df) gives p < TREND_P;
                                 # "wald": M2's z test on the Pearson scale; "always": Noufaily; "none": flat
    guard: bool = True           # Farrington (1996): a trend whose prediction lies above the baseline's maximum is not used
    min_trend_years: int = 4


RULE = YearlyRule()
M2_RULE = YearlyRule(t_always=False, trend="wald", guard=False)


def poisson_loglinear(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The Poisson log-linear fit log mu = a + b x by iteratively reweighted least squares: (params,
    covariance at scale 1, Pearson scale X2 / (n - 2)) — statsmodels' GLM(Poisson).fit() for two
    parameters, 50 times faster (tests/test_signals.py checks the two agree)."""
    X = np.column_stack([np.ones_like(x), x])
    beta = np.array([np.log(max(y.mean(), 1e-9)), 0.0])
    for _ in range(100):
        eta = X @ beta
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        XtW = X.T * mu
        new = np.linalg.solve(XtW @ X, XtW @ z)
        if np.max(np.abs(new - beta)) < 1e-10:
            beta = new
            break
        beta = new
    mu = np.exp(X @ beta)
    cov = np.linalg.inv((X.T * mu) @ X)
    scale = float(((y - mu) ** 2 / mu).sum() / max(len(y) - 2, 1))
    return beta, cov, scale


def expect_in(series: Series, year: int) -> Expectation | None:
    """The expectation for `year` from a Series: its breaks and abnormal years as it carries them."""
    return expect(series.values, year, excluded=set(series.abnormal_years), break_years=series.break_years)


def expect(series: dict[int, float], year: int, excluded=frozenset(), break_years=(),
           rule: YearlyRule = RULE) -> Expectation | None:
    """The expected range of `year` from the years before it (None: too few baseline years)."""
    years = baseline_years(series, year, excluded, break_years)
    if len(years) < MIN_YEARS:
        return None
    y = np.array([series[t] for t in years], dtype=float)
    if (y < 0).any():
        raise ValueError("counts cannot be negative")
    x = np.array(years, dtype=float) - year
    if y.sum() == 0:   # nothing ever counted: expect nothing, and a handful is already a signal
        return Expectation(year, 0.0, 0.0, float(sps.poisson.ppf(LEVEL, 1.0 / len(years))), tuple(years), False, 1.0,
                           strong_low=0.0, strong_high=float(sps.poisson.ppf(STRONG_LEVEL, 1.0 / len(years))))
    trend = guarded = False
    if rule.trend != "none" and len(years) >= rule.min_trend_years and len(set(y)) > 1 and (y > 0).sum() >= 2:
        params, cov1, tscale = poisson_loglinear(y, x)
        if rule.trend == "always":   # Noufaily et al. (2013): the trend always fitted
            trend = True
        elif rule.trend == "wald":   # M2: Wald z on the Pearson scale, even below 1
            stat = params[1] / np.sqrt(cov1[1, 1] * tscale)
            trend = bool(2 * sps.norm.sf(abs(stat)) < TREND_P) if tscale > 0 else False
        else:                      # t test with the scale floored at the Poisson value 1, n - 2 df
            tphi = max(1.0, tscale)
            stat = params[1] / np.sqrt(cov1[1, 1] * tphi)
            trend = bool(2 * sps.t.sf(abs(stat), df=len(y) - 2) < TREND_P)
        if trend and rule.guard and float(np.exp(params[0])) > y.max():
            trend, guarded = False, True   # Farrington's guard: no prediction beyond the highest baseline year
    if trend:
        scale = tscale
        phi = max(1.0, scale)
        mu = float(np.exp(params[0]))   # x = 0 is the year judged
        var_eta = float(cov1[0, 0] * phi)
    else:
        # the flat quasi-Poisson model in closed form (the GLM's own answer: mu = mean, Pearson
        # dispersion, Var(log mu) = phi / (n mu))
        mu = float(y.mean())
        scale = float(((y - mu) ** 2 / mu).sum() / (len(y) - 1))
        phi = max(1.0, scale)
        var_eta = phi / (len(y) * mu)
    df = max(len(years) - (2 if trend else 1), 1)
    sd = np.sqrt(phi * mu + mu * mu * var_eta)

    def bounds(level: float) -> tuple[float, float]:
        if rule.t_always:   # phi is estimated (and floored at 1): always a t quantile, no switch at phi = 1
            q = sps.t.ppf(0.5 + level / 2, df=df)
        else:
            q = sps.t.ppf(0.5 + level / 2, df=df) if scale > 1 else sps.norm.ppf(0.5 + level / 2)
        # Farrington's 2/3-power transformation: bounds mu * (1 +- 2/3 * q * sd / mu) ** (3/2)
        step = (2.0 / 3.0) * q * sd / mu
        return mu * max(1 - step, 0.0) ** 1.5, mu * (1 + step) ** 1.5

    low, high = bounds(LEVEL)
    strong_low, strong_high = bounds(STRONG_LEVEL)
    return Expectation(year, mu, low, high, tuple(years), trend, phi, guarded, strong_low, strong_high)
