"""The exact tests agree with an independent computation in scipy."""
import math

import pytest
from scipy import stats as sps

from ivbtools.stats import count_vs_level, ratio_vs_value


@pytest.mark.parametrize("count, level, alternative", [(395, 137, "larger"), (150, 137, "larger"), (120, 137, "smaller"), (3, 7.5, "smaller")])
def test_count_vs_level_matches_the_poisson_tail(count, level, alternative):
    expected = sps.poisson.sf(count - 1, level) if alternative == "larger" else sps.poisson.cdf(count, level)
    assert count_vs_level(count, level, alternative).pvalue == pytest.approx(expected, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("count", [0, 7, 137, 395])
def test_count_interval_is_the_exact_garwood_interval(count):
    r = count_vs_level(count, 100, "larger")
    lo = 0.0 if count == 0 else sps.chi2.ppf(0.025, 2 * count) / 2
    hi = sps.chi2.ppf(0.975, 2 * count + 2) / 2
    assert (r.ci_low, r.ci_high) == (pytest.approx(lo, abs=1e-9), pytest.approx(hi, rel=1e-9))


@pytest.mark.parametrize("new, base, ratio0, alternative", [
    (250, 358, 0.8, "smaller"), (300, 358, 0.8, "larger"), (280, 358, 0.8, "smaller"), (395, 137, 138807 / 83611, "two-sided")])
def test_ratio_test_is_the_conditional_binomial_test(new, base, ratio0, alternative):
    p0 = ratio0 / (1 + ratio0)
    alt = {"smaller": "less", "larger": "greater", "two-sided": "two-sided"}[alternative]
    expected = sps.binomtest(new, new + base, p0, alternative=alt).pvalue
    assert ratio_vs_value(new, base, ratio0, alternative).pvalue == pytest.approx(expected, rel=1e-9)


def test_ratio_interval_is_clopper_pearson_transformed():
    r = ratio_vs_value(250, 358, 0.8, "smaller")
    ci = sps.binomtest(250, 608).proportion_ci(0.95, method="exact")
    assert r.ci_low == pytest.approx(ci.low / (1 - ci.low), rel=1e-9)
    assert r.ci_high == pytest.approx(ci.high / (1 - ci.high), rel=1e-9)
    assert r.estimate == pytest.approx(250 / 358)


def test_beyond_chance_uses_five_percent():
    # 150 against 137: P(X >= 150 | 137) is about 0.15, within noise
    assert not count_vs_level(150, 137, "larger").beyond_chance
    assert count_vs_level(395, 137, "larger").beyond_chance
    assert math.isfinite(ratio_vs_value(0, 5, 0.8, "smaller").pvalue)
