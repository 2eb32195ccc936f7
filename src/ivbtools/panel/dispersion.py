"""The year-to-year variation (overdispersion, tau) of every municipality, estimated from the panel.

The municipality's own part from second differences of log(count / national count), pooled
over its peer group (or every municipality), abnormal and break years left out; the part shared
by every municipality from the national series; autocorrelation from first and second
differences (docs/methods.md, section 3). Below the evaluation: verdicts ask for a Dispersion.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import stats
from ..data.dataset import Dataset
from .groups import Membership
from .table import Panel

MIN_TERMS = 100   # fewer second-difference terms across the group: no panel estimate (own series, or the tipping point)


def national_series(ds: Dataset, ind, years: list[int]) -> np.ndarray:
    """The national counterpart's counts aligned to `years` (NaN where missing)."""
    nat = ds.observations.series(ind.national_indicator or ind.id, ind.national_area or "NL01")
    by_year = dict(zip(nat.year.astype(int), nat.value.astype(float)))
    return np.array([by_year.get(y, np.nan) for y in years], dtype=float)


@dataclass(frozen=True)
class Terms:
    """Per municipality of the panel (rows as Panel.codes): the sums of second- and first-difference
    terms of log(count / national) and 6 x / 2 x their numbers, abnormal and break years left out."""
    S2: np.ndarray
    m2: np.ndarray
    S1: np.ndarray
    m1: np.ndarray
    relative: bool                 # against the national series (shared year shocks removed)
    excluded: tuple[int, ...]      # years left out everywhere
    years_with_figures: tuple[int, ...]


def make_terms(ds: Dataset, panel: Panel, indicator: str) -> Terms:
    """The dispersion terms of every municipality. They do not depend on the evaluation year (only
    the groups do). Breaks and abnormal years that apply everywhere leave their years out of every
    series; those of one municipality (a break of its own) leave them out of its series only."""
    ind = ds.indicators[indicator]
    breaks, abnormal = ind.break_years(), ind.abnormal_years()
    counts = panel.counts(indicator).to_numpy()
    ref = national_series(ds, ind, panel.years)
    ref = ref if np.isfinite(ref).sum() >= 3 else None
    S2, m2 = stats.dispersion_terms(counts, panel.years, breaks, abnormal, reference=ref)
    S1, m1 = stats.first_difference_terms(counts, panel.years, breaks, abnormal, reference=ref)
    for area in sorted(ind.area_specific() & set(panel.codes)):
        i = panel.codes.index(area)
        row, b, a = counts[i:i + 1], ind.break_years(area), ind.abnormal_years(area)
        (S2[i],), (m2[i],) = stats.dispersion_terms(row, panel.years, b, a, reference=ref)
        (S1[i],), (m1[i],) = stats.first_difference_terms(row, panel.years, b, a, reference=ref)
    have = panel.counts(indicator).notna().any(axis=0)
    return Terms(S2, m2, S1, m1, ref is not None, tuple(sorted(set(breaks) | set(abnormal))),
                 tuple(int(y) for y in have[have].index))


def make_shocks(ds: Dataset, indicator: str) -> stats.YearShocks | None:
    """The variation shared by every municipality, from the national series."""
    ind = ds.indicators[indicator]
    nat = ds.observations.series(ind.national_indicator or ind.id, ind.national_area or "NL01")
    if len(nat) < 3:
        return None
    years = list(range(int(nat.year.min()), int(nat.year.max()) + 1))
    return stats.common_shocks(years, national_series(ds, ind, years), ind.break_years(), ind.abnormal_years())


def group_tau(mem: Membership, t: Terms) -> pd.DataFrame:
    """Per municipality the idiosyncratic overdispersion tau estimated across its peers (and
    itself), the number of second-difference terms behind it and the lag-one autocorrelation of
    the yearly deviations. Columns: tau (NaN when fewer than MIN_TERMS terms), terms, rho."""
    group = (mem.matrix | np.eye(len(mem.codes), dtype=bool)).astype(float)
    gS2, gm2, gS1, gm1 = group @ t.S2, group @ t.m2, group @ t.S1, group @ t.m1
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.sqrt(np.clip(gS2 / gm2, 0, None))
        rho = np.clip(3 - 3 * (gS2 / gm2) / (gS1 / gm1), -stats.MAX_RHO, stats.MAX_RHO)
    rho = np.where((gS1 > 0) & (gS2 > 0) & (gm1 > 0), rho, np.nan)
    terms = (gm2 / 6).astype(int)
    return pd.DataFrame({"tau": np.where(terms >= MIN_TERMS, tau, np.nan), "terms": terms, "rho": rho}, index=mem.codes)


def pooled(t: Terms) -> tuple[float, int, float | None] | None:
    """The idiosyncratic tau pooled over every municipality (the fallback when a peer group has
    too few usable terms), its number of terms and autocorrelation; None below MIN_TERMS."""
    terms = int(np.sum(t.m2) / 6)
    if terms < MIN_TERMS:
        return None
    return float(stats.pooled_tau(t.S2, t.m2)), terms, stats.autocorrelation(t.S2, t.m2, t.S1, t.m1)


def assemble(ind, area: str, years: list[int], tau_idio: float, rho: float | None, terms: int, origin: str,
             method: str, rows: np.ndarray, t: Terms, shocks: stats.YearShocks | None) -> stats.Dispersion:
    """A Dispersion: the idiosyncratic tau widened for autocorrelation over the lag of the
    comparison, plus the shared year variation for an absolute verdict."""
    lag = max(years) - min(years)
    rho = None if rho is None or not np.isfinite(rho) else float(rho)
    widen = stats.lag_factor(rho, lag)
    idio = tau_idio * float(np.sqrt(widen))
    abnormal = ind.is_abnormal(years, area)
    tau, shared = stats.combine(idio, shocks if t.relative else None, abnormal)
    return stats.Dispersion(tau=tau, years=t.years_with_figures, df=terms, pearson_phi=float("nan"),
                            method=method, origin=origin, tau_idio=tau_idio if t.relative else None,
                            tau_common=shared, abnormal=abnormal and shared is not None, rho=rho, widened=widen,
                            interval=stats.bootstrap_interval(t.S2[rows], t.m2[rows]), excluded_years=t.excluded)


def how_text(t: Terms) -> str:
    rel = "van log(aantal / landelijk aantal), zodat gedeelde jaarschokken wegvallen" if t.relative else \
        "van de log-tellingen"
    skip = f", zonder {', '.join(map(str, t.excluded))}" if t.excluded else ""
    return f"tweede verschillen {rel}{skip}, momentschatter van tau²"
