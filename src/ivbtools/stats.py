"""Intervals and tests for the ratio of two yearly counts, with overdispersion handled openly.

Every measurable count target is a statement about one quantity: the ratio R = count in the
evaluation year / count in the baseline year, against a required ratio r0 (0.8 for "20%
lower", 1 for "at or below the 2017 level"). Both counts are noisy, so both enter the
interval.

- **Poisson interval** (exact): given the total n = new + base, `new` is binomial with
  p = R/(1+R); the Clopper-Pearson interval for p, transformed back, is the exact 95%
  interval for R. Its two-sided p-value for r0 is the *central* one (twice the smaller
  one-sided binomial tail), which is exactly the test that the interval inverts: p < 0.05
  if and only if r0 lies outside the interval. No direction is chosen after seeing the data.
- **Overdispersion** ("overdispersie"): police and accident counts vary from year to year
  more than Poisson (repeat callers, registration practice, weather). Model: the expected
  count of each year carries an independent extra relative variation with coefficient of
  variation tau (negative-binomial type 2: Var = mu + tau^2 mu^2). On the log scale the
  ratio then has extra variance 2 tau^2. The **robust interval** adds that in quadrature to
  each half of the exact interval (on the log scale), so with tau = 0 it is the exact
  interval and for large counts it is the usual log-normal interval.
- **tau** is estimated from the municipality's own yearly series where it has enough years
  (`estimate_dispersion`: a Poisson log-linear trend fitted with statsmodels, separate
  levels on either side of a known break, and the moment estimator of tau^2 from the
  residuals). Where no estimate is possible, `tipping_tau` says up to how much extra
  year-to-year variation a clear conclusion still holds.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

# The decision rules, levels and estimators are written down in docs/methods.md; a change to it is a
# deliberate change of results: the version is printed in every report and the test suite checks
# the file against this hash.
METHODS_VERSION = "4"
METHODS_SHA256 = "61d1700d5500a9d7af8b777143d3189b95767806f7139efa62c60d7be131ffab"

ALPHA = 0.05
Z = float(sps.norm.ppf(1 - ALPHA / 2))  # 1.959963...
MIN_DISPERSION_YEARS = 6   # fewer yearly counts give no usable estimate of tau
MIN_RESIDUAL_DF = 4


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high


def ratio_interval_exact(new: int, base: int, alpha: float = ALPHA) -> Interval:
    """Exact (Clopper-Pearson, conditional) interval for the ratio of two Poisson means."""
    n = int(new) + int(base)
    if n == 0:
        return Interval(0.0, math.inf)
    plo, phi = proportion_confint(int(new), n, alpha=alpha, method="beta")
    lo = plo / (1 - plo)
    hi = phi / (1 - phi) if phi < 1 else math.inf
    return Interval(float(lo), float(hi))


def ratio_pvalue_exact(new: int, base: int, r0: float) -> float:
    """Central two-sided p-value of 'ratio = r0' (the test the exact interval inverts)."""
    n = int(new) + int(base)
    p0 = r0 / (1 + r0)
    lower = sps.binom.cdf(int(new), n, p0)          # P(X <= new)
    upper = sps.binom.sf(int(new) - 1, n, p0)       # P(X >= new)
    return float(min(1.0, 2 * min(lower, upper)))


def _widen(estimate: float, bound: float, extra_sd: float, upward: bool) -> float:
    """Add extra log-scale spread (z * extra_sd) in quadrature to one half of an interval."""
    if extra_sd == 0:
        return bound
    if upward:
        if math.isinf(bound):
            return bound
        if estimate == 0:   # new count 0: no log-scale centre; widen the bound itself
            return bound * math.exp(Z * extra_sd)
        half = math.log(bound) - math.log(estimate)
        return estimate * math.exp(math.hypot(half, Z * extra_sd))
    if bound == 0 or estimate == 0 or math.isinf(estimate):
        return bound
    half = math.log(estimate) - math.log(bound)
    return estimate / math.exp(math.hypot(half, Z * extra_sd))


def ratio_interval_robust(new: int, base: int, tau: float, alpha: float = ALPHA) -> Interval:
    """The exact interval widened for overdispersion tau (extra variance 2 tau^2 on the log scale)."""
    if alpha != ALPHA:
        raise ValueError("the robust interval is defined for the 95% level")
    ex = ratio_interval_exact(new, base)
    est = new / base if base else math.inf
    sd = math.sqrt(2) * tau
    return Interval(_widen(est, ex.low, sd, upward=False), _widen(est, ex.high, sd, upward=True))


def _zero_bound(base, alpha, tau):
    """The robust upper bound of the ratio when the new count is 0, at level `alpha`: the exact
    bound (alpha/2)^(-1/base) - 1 (Clopper-Pearson with x = 0) widened by exp(z * sqrt(2) tau)."""
    z = sps.norm.isf(np.asarray(alpha) / 2)
    with np.errstate(over="ignore"):   # a tiny alpha: the bound is infinite, as it should be
        return ((np.asarray(alpha) / 2) ** (-1 / np.asarray(base, dtype=float)) - 1) * np.exp(z * np.sqrt(2) * tau)


def _pvalue_zero_new(base: int, r0: float, tau: float) -> float:
    """p-value of 'ratio = r0' when the new count is 0: the level at which the robust interval
    [0, bound(alpha)] just reaches r0, so that p < 0.05 exactly when r0 lies outside the printed
    95% interval (the interval inverted, as for every other count)."""
    if r0 <= float(_zero_bound(base, 1.0, tau)):
        return 1.0
    f = lambda la: float(_zero_bound(base, math.exp(la), tau)) - r0   # noqa: E731 - decreasing in la
    lo = -700.0
    if f(lo) < 0:
        return 0.0
    return float(math.exp(optimize.brentq(f, lo, 0.0, xtol=1e-12)))


def ratio_pvalue_robust(new: int, base: int, r0: float, tau: float) -> float:
    """Two-sided p-value consistent with the robust interval: p < 0.05 iff r0 lies outside it
    (zeros included: a new count of 0 inverts the widened interval [0, bound] exactly)."""
    if tau == 0:
        return ratio_pvalue_exact(new, base, r0)
    if base == 0:
        return ratio_pvalue_exact(new, base, r0)   # no ratio: never assessed (the verdict says so)
    if new == 0:
        return _pvalue_zero_new(base, r0, tau)
    est = new / base
    ex = ratio_interval_exact(new, base)
    bound = ex.low if r0 < est else ex.high
    half = abs(math.log(est) - math.log(bound)) if bound not in (0, math.inf) else math.inf
    se = math.hypot(half / Z, math.sqrt(2) * tau)
    return float(2 * sps.norm.sf(abs(math.log(est) - math.log(r0)) / se))


def count_interval(count: int, alpha: float = ALPHA) -> tuple[float, float]:
    """The exact (Garwood) 1-alpha interval for the expected value of a Poisson count."""
    lo = 0.0 if count == 0 else float(sps.chi2.ppf(alpha / 2, 2 * count) / 2)
    hi = float(sps.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2)
    return lo, hi


def tipping_tau(new: int, base: int, r0: float) -> float | None:
    """The extra year-to-year variation (tau, as a fraction) at which the robust interval
    starts to include r0: a clear conclusion holds for any smaller tau. None when the exact
    interval already includes r0 (the difference is within Poisson noise alone)."""
    ex = ratio_interval_exact(new, base)
    if ex.contains(r0) or new == 0 or base == 0:
        return None
    est = new / base
    bound = ex.low if r0 < est else ex.high
    gap = abs(math.log(est) - math.log(r0))
    half = abs(math.log(est) - math.log(bound))
    return math.sqrt(max(0.0, gap ** 2 - half ** 2) / 2) / Z


def tipping_tau_v(new, base, r0) -> np.ndarray:
    """`tipping_tau` for arrays (NaN where the exact interval already includes r0, or a count is 0)."""
    new, base = np.asarray(new, dtype=float), np.asarray(base, dtype=float)
    r0 = np.asarray(r0, dtype=float) * np.ones_like(new)
    lo, hi = ratio_interval_exact_v(new, base)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = new / base
        bound = np.where(r0 < est, lo, hi)
        gap, half = np.abs(np.log(est) - np.log(r0)), np.abs(np.log(est) - np.log(bound))
        t = np.sqrt(np.maximum(0.0, gap ** 2 - half ** 2) / 2) / Z
    inside = (lo <= r0) & (r0 <= hi)
    return np.where(inside | (new == 0) | (base == 0) | ~np.isfinite(t), np.nan, t)


@dataclass(frozen=True)
class Dispersion:
    """Extra-Poisson year-to-year variation (tau: coefficient of variation) of one municipality's
    counts, split where the data allow it into the municipality's own (idiosyncratic) part and the
    part shared by every municipality (year shocks of the national series).

    `tau` is what an absolute verdict (the municipality's own ratio against the rule) uses:
    sqrt(tau_idio^2 + tau_common^2), with the shared variation of normal years, or of all years
    when the baseline or the evaluation year is itself abnormal (a lockdown year). The national
    comparison uses `tau_idio` alone: shared shocks cancel in a ratio to the national ratio."""
    tau: float
    years: tuple[int, ...]
    df: int
    pearson_phi: float      # Pearson chi2 / df of the Poisson trend fit (1 = pure Poisson); NaN for the panel
    method: str = "Poisson-trend (statsmodels GLM), momentschatter van tau²"
    origin: str = "own"     # "own": own series; "peers": across its peer group (panel); "pool": every municipality
    tau_idio: float | None = None        # the municipality's own part (None: not separated)
    tau_common: float | None = None      # the shared part used in `tau` (None: not separated)
    abnormal: bool = False               # the shared part includes abnormal years (baseline/evaluation year abnormal)
    rho: float | None = None             # autocorrelation of the yearly deviations (panel only)
    widened: float = 1.0                 # factor on tau^2 for that autocorrelation (>= 1)
    interval: tuple[float, float] | None = None   # 95% interval of tau_idio (bootstrap over municipalities)
    excluded_years: tuple[int, ...] = ()  # abnormal and break (transition) years left out of the estimate

    @property
    def for_national(self) -> Dispersion:
        """The dispersion of the comparison with the national change: the idiosyncratic part."""
        if self.tau_idio is None:
            return self
        return replace(self, tau=self.tau_idio, tau_common=0.0, abnormal=False)


@dataclass(frozen=True)
class YearShocks:
    """Variation shared by every municipality: second differences of the national series, in
    normal years (abnormal and break years left out) and in all years (break years left out)."""
    tau_normal: float | None
    tau_all: float | None
    terms_normal: int
    terms_all: int


MIN_COMMON_TERMS = 3   # second-difference terms of the national series needed for its shared variation


def common_shocks(years, national, break_years=(), abnormal_years=()) -> YearShocks:
    """The shared year-to-year variation from the national series (its Poisson part removed)."""
    y = np.asarray(national, dtype=float)[None, :]
    Sn, mn = dispersion_terms(y, years, break_years, abnormal_years, min_count=0)
    Sa, ma = dispersion_terms(y, years, break_years, (), min_count=0)
    tn, ta = int(mn.sum() / 6), int(ma.sum() / 6)
    return YearShocks(pooled_tau(Sn, mn) if tn >= MIN_COMMON_TERMS else None,
                      pooled_tau(Sa, ma) if ta >= MIN_COMMON_TERMS else None, tn, ta)


def combine(tau_idio: float, shocks: YearShocks | None, abnormal: bool) -> tuple[float, float | None]:
    """tau of an absolute verdict: the idiosyncratic part and the shared part (all years when an
    abnormal year is compared, else normal years); (tau, shared tau used)."""
    if shocks is None:
        return tau_idio, None
    shared = shocks.tau_all if abnormal and shocks.tau_all is not None else shocks.tau_normal
    if shared is None:
        return tau_idio, None
    return math.hypot(tau_idio, shared), shared


def estimate_dispersion(years, counts, break_years=(), offset=None, excluded_years=()) -> Dispersion | None:
    """Estimate tau from a yearly series: fit log mu = level(segment) + slope * year [+ offset] by
    Poisson maximum likelihood (segments split at each break year, e.g. 2020 for E33), then
    tau^2 = max(0, (sum (y-mu)^2 * n/(n-p) - sum mu) / sum mu^2). `offset` (log of the national
    series) makes it the municipality's own part, year shocks shared with the country removed;
    `excluded_years` (abnormal years) are left out of the fit. None when the series is too short
    (fewer than MIN_DISPERSION_YEARS years or MIN_RESIDUAL_DF residual degrees of freedom)."""
    # the GLM itself, not statsmodels.api (which also imports the time-series and graphics modules:
    # 0,45 s CPU more in every process that estimates a dispersion, every report kernel among them)
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    y = np.asarray(counts, dtype=float)
    t = np.asarray(years, dtype=float)
    off = None if offset is None else np.asarray(offset, dtype=float)
    keep = ~np.isin(t, list(excluded_years)) & np.isfinite(y)
    if off is not None:
        keep &= np.isfinite(off)
    y, t = y[keep], t[keep]
    off = off[keep] if off is not None else None
    if len(y) < MIN_DISPERSION_YEARS or (y <= 0).all():
        return None
    seg = np.zeros(len(t), dtype=int)
    for b in sorted(break_years):
        seg += (t >= b).astype(int)
    levels = sorted(set(seg))
    cols = [(seg == s).astype(float) for s in levels] + [t - t.mean()]
    X = np.column_stack(cols)
    n, p = X.shape
    if n - p < MIN_RESIDUAL_DF:
        return None
    fit = GLM(y, X, family=families.Poisson(), offset=off).fit()
    mu = np.asarray(fit.fittedvalues)
    tau2 = max(0.0, (float(((y - mu) ** 2).sum()) * n / (n - p) - float(mu.sum())) / float((mu ** 2).sum()))
    phi = float((((y - mu) ** 2) / mu).sum() / (n - p))
    return Dispersion(tau=math.sqrt(tau2), years=tuple(int(v) for v in t), df=n - p, pearson_phi=phi,
                      excluded_years=tuple(sorted(set(excluded_years))))


# --- assessment of one ratio against a required ratio --------------------------------------------

# qualifier codes
CLEAR_MET = "duidelijk_gehaald"
CLEAR_NOT_MET = "duidelijk_niet_gehaald"
WITHIN_NOISE = "binnen_ruis"
BREAK = "reeksbreuk"


@dataclass(frozen=True)
class RatioAssessment:
    """R = new/base against r0, where a rule is met when R <= r0 (or R < r0 when strict)."""
    new: int
    base: int
    r0: float
    strict: bool                 # True: met only when R < r0
    exact: Interval              # Poisson (exact) 95% interval for R
    p_exact: float               # two-sided, consistent with `exact`
    dispersion: Dispersion | None
    robust: Interval | None      # only when tau was estimated
    p_robust: float | None
    tipping: float | None        # tipping tau (when no estimate, or always for information)
    series_break: bool = False   # baseline and evaluation year lie on two sides of a known break
    lower: bool = False          # a lower bound: met when R >= r0 (R > r0 when strict), an increase or a floor

    @property
    def estimate(self) -> float:
        return self.new / self.base if self.base else math.inf

    @property
    def met(self) -> bool:
        if self.lower:
            return self.estimate > self.r0 if self.strict else self.estimate >= self.r0 - 1e-12
        return self.estimate < self.r0 if self.strict else self.estimate <= self.r0 + 1e-12

    @property
    def decisive(self) -> Interval:
        """The interval the qualifier uses: robust when tau was estimated, else exact."""
        return self.robust if self.robust is not None else self.exact

    @property
    def pvalue(self) -> float:
        return self.p_robust if self.p_robust is not None else self.p_exact

    @property
    def qualifier(self) -> str:
        iv = self.decisive
        below, above = iv.high < self.r0, iv.low > self.r0
        if below or above:            # the whole interval on one side: the side the rule asks for, or not
            code = CLEAR_MET if below != self.lower else CLEAR_NOT_MET
        else:
            code = WITHIN_NOISE
        if self.series_break and code != WITHIN_NOISE:
            return BREAK
        return code


def assess_ratio(new: int, base: int, r0: float, strict: bool = False, dispersion: Dispersion | None = None,
                 series_break: bool = False, lower: bool = False) -> RatioAssessment:
    new, base = int(new), int(base)
    robust = p_rob = None
    if dispersion is not None:
        robust = ratio_interval_robust(new, base, dispersion.tau)
        p_rob = ratio_pvalue_robust(new, base, r0, dispersion.tau)
    return RatioAssessment(new=new, base=base, r0=float(r0), strict=strict,
                           exact=ratio_interval_exact(new, base), p_exact=ratio_pvalue_exact(new, base, r0),
                           dispersion=dispersion, robust=robust, p_robust=p_rob,
                           tipping=tipping_tau(new, base, r0), series_break=series_break, lower=lower)


# --- vectorised: many municipalities at once (national table, peers) ------------------------------

MIN_PANEL_COUNT = 20   # a series takes part when its median yearly count is at least this


def ratio_interval_exact_v(new, base, alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """`ratio_interval_exact` for arrays (Clopper-Pearson via beta quantiles, as statsmodels)."""
    x = np.asarray(new, dtype=float)
    n = x + np.asarray(base, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        plo = np.where(x > 0, sps.beta.ppf(alpha / 2, np.maximum(x, 1e-300), n - x + 1), 0.0)
        phi = np.where(x < n, sps.beta.ppf(1 - alpha / 2, x + 1, np.maximum(n - x, 1e-300)), 1.0)
        lo = plo / (1 - plo)
        hi = np.where(phi < 1, phi / (1 - phi), np.inf)
    lo = np.where(n == 0, 0.0, lo)
    hi = np.where(n == 0, np.inf, hi)
    return lo, hi


def ratio_interval_robust_v(new, base, tau) -> tuple[np.ndarray, np.ndarray]:
    """`ratio_interval_robust` for arrays; tau NaN or 0 gives the exact interval."""
    new, base = np.asarray(new, dtype=float), np.asarray(base, dtype=float)
    lo, hi = ratio_interval_exact_v(new, base)
    sd = np.sqrt(2) * np.nan_to_num(np.asarray(tau, dtype=float), nan=0.0) * np.ones_like(new)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(base > 0, new / base, np.inf)
        up_half = np.log(hi) - np.log(est)
        hi_w = np.where(np.isinf(hi) | (sd == 0), hi,
                        np.where(est == 0, hi * np.exp(Z * sd), est * np.exp(np.hypot(up_half, Z * sd))))
        lo_half = np.log(est) - np.log(lo)
        lo_w = np.where((lo == 0) | (est == 0) | np.isinf(est) | (sd == 0), lo, est / np.exp(np.hypot(lo_half, Z * sd)))
    return lo_w, hi_w


def ratio_pvalue_v(new, base, r0, tau) -> np.ndarray:
    """Two-sided p-values consistent with the (robust when tau > 0) intervals, for arrays."""
    new, base = np.asarray(new, dtype=float), np.asarray(base, dtype=float)
    r0 = np.asarray(r0, dtype=float) * np.ones_like(new)
    tau = np.nan_to_num(np.asarray(tau, dtype=float), nan=0.0) * np.ones_like(new)
    n = new + base
    p0 = r0 / (1 + r0)
    exact = np.minimum(1.0, 2 * np.minimum(sps.binom.cdf(new, n, p0), sps.binom.sf(new - 1, n, p0)))
    lo, hi = ratio_interval_exact_v(new, base)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = new / base
        bound = np.where(r0 < est, lo, hi)
        half = np.abs(np.log(est) - np.log(bound))
        se = np.hypot(half / Z, np.sqrt(2) * tau)
        robust = 2 * sps.norm.sf(np.abs(np.log(est) - np.log(r0)) / se)
    use_robust = (tau > 0) & (new > 0) & (base > 0) & np.isfinite(half)
    out = np.where(use_robust, robust, exact)
    zero = (tau > 0) & (new == 0) & (base > 0)
    if zero.any():
        out = out.copy()
        out[zero] = _pvalue_zero_new_v(base[zero], r0[zero], tau[zero])
    return out


def _pvalue_zero_new_v(base, r0, tau) -> np.ndarray:
    """`_pvalue_zero_new` for arrays: bisection on log(alpha)."""
    one = _zero_bound(base, 1.0, tau)
    lo, hi = np.full(len(base), -700.0), np.zeros(len(base))
    for _ in range(80):
        mid = (lo + hi) / 2
        above = _zero_bound(base, np.exp(mid), tau) > r0   # the bound still exceeds r0: p is larger
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    p = np.exp((lo + hi) / 2)
    p = np.where(_zero_bound(base, np.exp(-700.0), tau) < r0, 0.0, p)
    return np.where(r0 <= one, 1.0, p)


def qualifier_v(lo, hi, r0, series_break, lower: bool = False) -> np.ndarray:
    """RatioAssessment.qualifier for arrays (`lower`: a lower-bound rule, met above r0)."""
    lo, hi, r0 = np.asarray(lo), np.asarray(hi), np.asarray(r0)
    below, above = (CLEAR_NOT_MET, CLEAR_MET) if lower else (CLEAR_MET, CLEAR_NOT_MET)
    code = np.where(hi < r0, below, np.where(lo > r0, above, WITHIN_NOISE)).astype(object)
    return np.where(np.asarray(series_break, dtype=bool) & (code != WITHIN_NOISE), BREAK, code)


def _term_mask(y: np.ndarray, yrs: np.ndarray, width: int, break_years, excluded_years, min_count: float) -> np.ndarray:
    """Which windows of `width` consecutive years may form a term: positive counts, consecutive
    years, no known break inside or at either end (the break year is a transition year), no
    excluded (abnormal) year, and a series whose median count is at least `min_count` (chosen on
    the series, not year by year, which would truncate the noise)."""
    cols = [y[:, i:y.shape[1] - width + 1 + i] for i in range(width)]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # a series without any count: 'All-NaN slice' (no term)
        big = np.nanmedian(y, axis=1) >= min_count if min_count > 0 else np.ones(len(y), bool)
    ok = np.logical_and.reduce([c > 0 for c in cols]) & big[:, None]
    first, last = yrs[:len(yrs) - width + 1], yrs[width - 1:]
    clean = (last - first) == width - 1
    for brk in break_years:
        clean &= ~((first <= brk) & (brk <= last))
    for ex in excluded_years:
        clean &= ~((first <= ex) & (ex <= last))
    return ok & clean[None, :]


def _relative(counts, reference) -> tuple[np.ndarray, np.ndarray]:
    """log counts, relative to a reference series when given (removing year shocks it shares), and
    the reference's own Poisson variance per year (0 without one)."""
    y = np.asarray(counts, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(y)
        if reference is None:
            return logs, np.zeros(y.shape[1])
        ref = np.asarray(reference, dtype=float)
        return logs - np.log(ref)[None, :], np.where(ref > 0, 1 / ref + 1 / ref ** 2, np.nan)


def dispersion_terms(counts: np.ndarray, years, break_years=(), excluded_years=(), reference=None,
                     min_count: float = MIN_PANEL_COUNT) -> tuple[np.ndarray, np.ndarray]:
    """Per series (rows of `counts`, columns = consecutive `years`, NaN = missing), the terms of
    a moment estimator of tau^2 that needs no model fit and pools across municipalities.

    Model (as for `estimate_dispersion`): log mu_t = level + slope*t + e_t, e_t independent with
    variance tau^2, counts Poisson given mu_t. The second difference of log counts over three
    consecutive years removes level and slope: its variance is 6 tau^2 plus the Poisson part,
    about 6/mu + 6/mu^2 for a slowly changing mu (delta method with its second-order term; mu
    estimated by the mean of the three counts, not by each count, which would bias it). So
    sum(d2^2 - Poisson part) / (6 * number of terms) estimates tau^2. With a `reference` series
    (the national counts) the second differences are of log(count / reference): year shocks
    shared with the country cancel, and tau^2 is the municipality's own part. A term needs three
    positive counts and no known break (nor the break year itself, a transition year) and no
    excluded (abnormal) year within its three years; a series takes part when its median count is
    at least `min_count`. In simulation it recovers tau = 0.10 within a few hundredths for counts
    of 40 and more and errs on the high side (wider intervals) for counts near 20. Returns (S, m)
    per row: the sum of (d2^2 - Poisson part) and 6 x the number of terms; tau^2 of a group =
    sum S / sum m."""
    y = np.asarray(counts, dtype=float)
    yrs = np.asarray(list(years))
    if y.shape[1] < 3:
        return np.zeros(len(y)), np.zeros(len(y))
    ok = _term_mask(y, yrs, 3, break_years, excluded_years, min_count)
    logs, ref_var = _relative(y, reference)
    a, b, c = y[:, :-2], y[:, 1:-1], y[:, 2:]
    with np.errstate(divide="ignore", invalid="ignore"):
        d2 = logs[:, 2:] - 2 * logs[:, 1:-1] + logs[:, :-2]
        m3 = (a + b + c) / 3
        ref_part = ref_var[:-2] + 4 * ref_var[1:-1] + ref_var[2:]
        term = d2 ** 2 - (6 / m3 + 6 / m3 ** 2) - ref_part[None, :]
    ok &= np.isfinite(term)
    S = np.where(ok, term, 0.0).sum(axis=1)
    m = 6.0 * ok.sum(axis=1)
    return S, m


def first_difference_terms(counts: np.ndarray, years, break_years=(), excluded_years=(), reference=None,
                           min_count: float = MIN_PANEL_COUNT) -> tuple[np.ndarray, np.ndarray]:
    """As `dispersion_terms`, from first differences centred on each series' mean first
    difference (which removes its slope): sum(d1c^2 - Poisson part) and 2 x the number of
    terms, so that S/m estimates sigma^2 (1 - rho) for yearly deviations with lag-one correlation
    rho (and tau^2 when rho = 0). With the second differences this gives rho (`autocorrelation`)."""
    y = np.asarray(counts, dtype=float)
    yrs = np.asarray(list(years))
    if y.shape[1] < 2:
        return np.zeros(len(y)), np.zeros(len(y))
    ok = _term_mask(y, yrs, 2, break_years, excluded_years, min_count)
    logs, ref_var = _relative(y, reference)
    a, b = y[:, :-1], y[:, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = logs[:, 1:] - logs[:, :-1]
        ok &= np.isfinite(d1)
        n = ok.sum(axis=1)
        mean = np.where(n > 0, np.where(ok, d1, 0.0).sum(axis=1) / np.maximum(n, 1), 0.0)
        m2 = (a + b) / 2
        poisson = 2 / m2 + 2 / m2 ** 2 + ref_var[:-1] + ref_var[1:]
        # no n/(n-1): the first differences telescope, so their mean has almost no variance of its own
        term = (d1 - mean[:, None]) ** 2 - poisson
    ok &= (n >= 3)[:, None]
    S = np.where(ok, term, 0.0).sum(axis=1)
    m = 2.0 * ok.sum(axis=1)
    return S, m


MAX_RHO = 0.9


def autocorrelation(S2, m2, S1, m1) -> float | None:
    """Lag-one autocorrelation rho of the yearly deviations from pooled second- and first-
    difference terms: for an AR(1) with variance sigma^2, S2/m2 = sigma^2 (1-rho)(3-rho)/3 and
    S1/m1 = sigma^2 (1-rho), so rho = 3 - 3 (S2/m2) / (S1/m1). None without terms or variance."""
    S2, m2, S1, m1 = float(np.sum(S2)), float(np.sum(m2)), float(np.sum(S1)), float(np.sum(m1))
    if m2 == 0 or m1 == 0 or S1 <= 0 or S2 <= 0:
        return None
    return float(min(MAX_RHO, max(-MAX_RHO, 3 - 3 * (S2 / m2) / (S1 / m1))))


def lag_factor(rho: float | None, lag: int) -> float:
    """How much the extra variance of a ratio of two years `lag` apart grows under positive
    autocorrelation, relative to what the second-difference estimate assumes (independent years):
    3 (1 - rho^lag) / ((1 - rho)(3 - rho)), never below 1 (a negative rho is not used to narrow)."""
    if rho is None or rho <= 0 or lag <= 0:
        return 1.0
    return max(1.0, 3 * (1 - rho ** lag) / ((1 - rho) * (3 - rho)))


def bootstrap_interval(S, m, level: float = 0.95, draws: int = 400, seed: int = 20261202) -> tuple[float, float] | None:
    """A percentile bootstrap interval of tau from per-series terms (series resampled with
    replacement; a fixed seed, so a report is the same every run); None with fewer than 5 series
    that have terms."""
    S, m = np.asarray(S, dtype=float), np.asarray(m, dtype=float)
    have = m > 0
    S, m = S[have], m[have]
    if len(S) < 5:
        return None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(S), size=(draws, len(S)))
    tau = np.sqrt(np.clip(S[idx].sum(axis=1) / m[idx].sum(axis=1), 0, None))
    lo, hi = np.quantile(tau, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def pooled_tau(S, m) -> float | None:
    """tau from pooled dispersion terms; None when there are no terms."""
    S, m = float(np.sum(S)), float(np.sum(m))
    if m == 0:
        return None
    return math.sqrt(max(0.0, S / m))


def funnel_tau2(y, s, centre: float | None = None) -> tuple[float, float]:
    """Additive between-unit variance for a funnel plot (Spiegelhalter 2005; the
    DerSimonian-Laird moment estimator, as FunnelPlotR computes it): units with estimates `y`
    (log scale) and within-unit standard errors `s`; Q = sum ((y - centre) / s)^2 and
    tau^2 = max(0, (Q - (n - 1)) / (sum w - sum w^2 / sum w)) with w = 1/s^2. `centre`: the
    funnel's one centre (the group's pooled value, on the log scale); None: the fixed-effect
    weighted mean, which makes it exactly DerSimonian-Laird. No winsorising: with the 10-70 peers
    of a group, trimming the z-scores biases tau^2 down and flags too many units. Returns
    (centre, tau2)."""
    y, s = np.asarray(y, dtype=float), np.asarray(s, dtype=float)
    keep = np.isfinite(y) & np.isfinite(s) & (s > 0)
    y, s = y[keep], s[keep]
    n = len(y)
    if n < 3:
        return (float("nan") if centre is None else float(centre)), 0.0
    w = 1 / s ** 2
    theta0 = float(np.sum(w * y) / np.sum(w)) if centre is None else float(centre)
    q = float(np.sum(w * (y - theta0) ** 2))
    return theta0, max(0.0, (q - (n - 1)) / float(np.sum(w) - np.sum(w ** 2) / np.sum(w)))


def norm_tail(z: float) -> float:
    """One-sided tail of the standard normal beyond z (0.025 for 1.96, 0.001 for 3.09)."""
    return float(sps.norm.sf(z))


def poisson_limits(expected, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson funnel limits for an observed/expected ratio at `expected` counts (as
    FunnelPlotR draws them without overdispersion): chi-square quantiles, two-sided at the level
    of `z` (1.96 for 95%, 3.09 for 99.8%)."""
    e = np.asarray(expected, dtype=float)
    tail = float(sps.norm.sf(z))
    return sps.chi2.ppf(tail, 2 * e) / (2 * e), sps.chi2.ppf(1 - tail, 2 * (e + 1)) / (2 * e)


def count_tails(observed, mean, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """P(X <= observed) and P(X >= observed) for a count with this mean: Poisson, or with
    additive overdispersion tau2 a negative binomial (gamma-Poisson with variance mean +
    tau2 * mean^2). A funnel position from these is exact also at small counts and for 0."""
    o, mu = np.asarray(observed, dtype=float), np.asarray(mean, dtype=float)
    if tau2 <= 0:
        return sps.poisson.cdf(o, mu), sps.poisson.sf(o - 1, mu)
    r = 1 / tau2
    p = r / (r + mu)
    return sps.nbinom.cdf(o, r, p), sps.nbinom.sf(o - 1, r, p)
