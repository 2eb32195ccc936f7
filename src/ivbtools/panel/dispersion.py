"""The year-to-year variation (overdispersion, tau) of every municipality, estimated from the panel.

The municipality's own part from second differences of log(count / national count), pooled
over its peer group (or every municipality), abnormal and break years left out; the part shared
by every municipality from the national series; autocorrelation from first and second
differences (docs/methods.md, section 3). Below the evaluation: verdicts ask for a Dispersion.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import stats
from ..data.dataset import Dataset
from .groups import membership
from .table import build_panel

MIN_TERMS = 100   # fewer second-difference terms across the group: no panel estimate (own series, or the tipping point)


def excluded_years(ind) -> tuple[list[int], list[int]]:
    """(break years, abnormal years) of an indicator that apply everywhere: terms of the
    dispersion estimate never include them (a break year is a transition year)."""
    breaks = [c.crosses_year for c in ind.caveats if c.kind == "break" and not c.areas]
    abnormal = sorted({y for c in ind.caveats if c.kind == "abnormal_year" and not c.areas for y in c.in_years})
    return breaks, abnormal


def is_abnormal(ind, years: list[int], area: str) -> bool:
    """Whether the baseline or the evaluation year is an abnormal year of this indicator."""
    return any(c.kind == "abnormal_year" and c.applies(years, area) for c in ind.caveats)


def national_series(ds: Dataset, ind, years: list[int]) -> np.ndarray:
    """The national counterpart's counts aligned to `years` (NaN where missing)."""
    nat = ds.observations.series(ind.national_indicator or ind.id, ind.national_area or "NL01")
    by_year = dict(zip(nat.year.astype(int), nat.value.astype(float)))
    return np.array([by_year.get(y, np.nan) for y in years], dtype=float)


def _terms(ds: Dataset, indicator: str) -> dict:
    """Per municipality of the panel: second- and first-difference terms of log(count / national)
    (shared year shocks removed), abnormal and break years left out. They do not depend on the
    evaluation year, only the groups do: computed once per dataset."""
    key = ("dispersion-terms", indicator)
    if key not in ds.memo:
        panel = build_panel(ds)
        ind = ds.indicators[indicator]
        breaks, abnormal = excluded_years(ind)
        counts = panel.counts(indicator).to_numpy()
        ref = national_series(ds, ind, panel.years)
        ref = ref if np.isfinite(ref).sum() >= 3 else None
        S2, m2 = stats.dispersion_terms(counts, panel.years, breaks, abnormal, reference=ref)
        S1, m1 = stats.first_difference_terms(counts, panel.years, breaks, abnormal, reference=ref)
        ds.memo[key] = {"S2": S2, "m2": m2, "S1": S1, "m1": m1, "relative": ref is not None,
                        "excluded": tuple(sorted(set(breaks) | set(abnormal)))}
    return ds.memo[key]


def year_shocks(ds: Dataset, indicator: str) -> stats.YearShocks | None:
    """The variation shared by every municipality, from the national series (memoised)."""
    key = ("year-shocks", indicator)
    if key not in ds.memo:
        ind = ds.indicators[indicator]
        nat = ds.observations.series(ind.national_indicator or ind.id, ind.national_area or "NL01")
        breaks, abnormal = excluded_years(ind)
        if len(nat) < 3:
            ds.memo[key] = None
        else:
            years = list(range(int(nat.year.min()), int(nat.year.max()) + 1))
            ds.memo[key] = stats.common_shocks(years, national_series(ds, ind, years), breaks, abnormal)
    return ds.memo[key]


def peer_tau(ds: Dataset, indicator: str, year: int) -> pd.DataFrame:
    """Per municipality the idiosyncratic overdispersion tau of `indicator` estimated across its
    peers (and itself) from the panel, the number of second-difference terms behind it and the
    lag-one autocorrelation of the yearly deviations. Columns: tau (NaN when fewer than MIN_TERMS
    terms), terms, rho."""
    memo = ds.memo
    key = ("tau", indicator, year)
    if key in memo:
        return memo[key]
    mem = membership(ds, year)
    if mem is None:
        return pd.DataFrame({"tau": [], "terms": [], "rho": []})
    t = _terms(ds, indicator)
    group = (mem.matrix | np.eye(len(mem.codes), dtype=bool)).astype(float)
    gS2, gm2, gS1, gm1 = group @ t["S2"], group @ t["m2"], group @ t["S1"], group @ t["m1"]
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.sqrt(np.clip(gS2 / gm2, 0, None))
        rho = np.clip(3 - 3 * (gS2 / gm2) / (gS1 / gm1), -stats.MAX_RHO, stats.MAX_RHO)
    rho = np.where((gS1 > 0) & (gS2 > 0) & (gm1 > 0), rho, np.nan)
    terms = (gm2 / 6).astype(int)
    out = pd.DataFrame({"tau": np.where(terms >= MIN_TERMS, tau, np.nan), "terms": terms, "rho": rho}, index=mem.codes)
    memo[key] = out
    return out


def _dispersion(ds: Dataset, indicator: str, area: str, years: list[int], tau_idio: float, rho: float | None,
                terms: int, origin: str, method: str, rows: np.ndarray) -> stats.Dispersion:
    """Assemble a Dispersion: the idiosyncratic tau widened for autocorrelation over the lag of
    the comparison, plus the shared year variation for an absolute verdict."""
    ind = ds.indicators[indicator]
    t = _terms(ds, indicator)
    lag = max(years) - min(years)
    rho = None if rho is None or not np.isfinite(rho) else float(rho)
    widen = stats.lag_factor(rho, lag)
    idio = tau_idio * float(np.sqrt(widen))
    abnormal = is_abnormal(ind, years, area)
    shocks = year_shocks(ds, indicator) if t["relative"] else None
    tau, shared = stats.combine(idio, shocks, abnormal)
    panel = build_panel(ds)
    have = panel.counts(indicator).notna().any(axis=0)
    return stats.Dispersion(tau=tau, years=tuple(int(y) for y in have[have].index), df=terms, pearson_phi=float("nan"),
                            method=method, origin=origin, tau_idio=tau_idio if t["relative"] else None,
                            tau_common=shared, abnormal=abnormal and shared is not None, rho=rho, widened=widen,
                            interval=stats.bootstrap_interval(t["S2"][rows], t["m2"][rows]),
                            excluded_years=t["excluded"])


def peer_dispersion(ds: Dataset, indicator: str, area: str, year: int, years: list[int] | None = None) -> stats.Dispersion | None:
    """The Dispersion (for evaluate) of `area` from its peers, or None without a panel or with too
    few usable terms in the group. `years`: the baseline and evaluation years compared."""
    t = peer_tau(ds, indicator, year)
    if area not in t.index or not np.isfinite(t.loc[area, "tau"]):   # NaN: fewer than MIN_TERMS terms
        return None
    mem = membership(ds, year)
    i = mem.codes.index(area)
    n = int(mem.matrix[i].sum())
    rows = mem.matrix[i] | (np.arange(len(mem.codes)) == i)
    terms = int(t.loc[area, "terms"])
    return _dispersion(ds, indicator, area, years or [year - 1, year], float(t.loc[area, "tau"]), t.loc[area, "rho"],
                       terms, "peers", f"over {n} vergelijkbare gemeenten en de gemeente zelf ({_how(ds, indicator)}; "
                                       f"{terms} termen)", rows)


def _how(ds: Dataset, indicator: str) -> str:
    t = _terms(ds, indicator)
    rel = "van log(aantal / landelijk aantal), zodat gedeelde jaarschokken wegvallen" if t["relative"] else \
        "van de log-tellingen"
    skip = f", zonder {', '.join(map(str, t['excluded']))}" if t["excluded"] else ""
    return f"tweede verschillen {rel}{skip}, momentschatter van tau²"


def pool_tau(ds: Dataset, indicator: str, year: int) -> tuple[float, int, float | None] | None:
    """The idiosyncratic tau of `indicator` pooled over every municipality of the panel (the
    fallback when a peer group has too few usable terms), with its number of terms and its
    autocorrelation; None when even the pool has fewer than MIN_TERMS."""
    if membership(ds, year) is None:
        return None
    t = _terms(ds, indicator)
    terms = int(np.sum(t["m2"]) / 6)
    if terms < MIN_TERMS:
        return None
    return float(stats.pooled_tau(t["S2"], t["m2"])), terms, stats.autocorrelation(t["S2"], t["m2"], t["S1"], t["m1"])


def pool_dispersion(ds: Dataset, indicator: str, year: int, years: list[int] | None = None,
                    area: str = "") -> stats.Dispersion | None:
    """The Dispersion (for evaluate) pooled over every municipality, or None."""
    pooled = pool_tau(ds, indicator, year)
    if pooled is None:
        return None
    tau, terms, rho = pooled
    rows = np.ones(len(build_panel(ds).codes), dtype=bool)
    return _dispersion(ds, indicator, area, years or [year - 1, year], tau, rho, terms, "pool",
                       f"over alle gemeenten samen, omdat de vergelijkbare gemeenten te weinig bruikbare jaren hebben "
                       f"({_how(ds, indicator)}; {terms} termen)", rows)


