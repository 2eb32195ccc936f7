"""Every target part for every municipality at once: the all-municipality table (`ivb national`).

Vectorised over the panel (numpy/scipy on municipality x year matrices): the same rule, the
same label and the same qualifier as evaluate.evaluate gives one municipality (tests compare
the two), with each municipality's overdispersion estimated across its own peer group
(panel/). The policy's targets are applied to every municipality as a yardstick: the
other municipalities did not set them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import stats
from ..data.dataset import Dataset
from ..data.rates import per_1000
from ..data.views import view
from ..panel.table import boundary_change
from ..panel.view import PanelView, panel_view
from .rules import CLASS_ORDER, allowed_count, meets, qualifier_label, required_ratio, status_for, status_label, verdict_class

COLUMNS = ["gemeente", "naam", "doel_id", "indicator", "jaar", "basisjaar", "basis", "waarde", "verhouding",
           "vereiste_verhouding", "vereist_hoogstens", "status", "oordeel", "gehaald", "kwalificatie", "zekerheid",
           "interval_laag", "interval_hoog", "p_waarde", "overdispersie_tau", "overdispersie_bron", "kantelpunt_tau",
           "reeksbreuk", "per_1000_inwoners",
           "inwoners", "vergelijkbare_gemeenten", "herindeling"]


def evaluate_all(ds: Dataset, year: int, parts: list[str] | None = None) -> pd.DataFrame:
    """One row per (municipality, measurable count part) for `year`."""
    pv = panel_view(ds)
    panel = pv.panel
    mem = pv.membership(year)
    codes = panel.codes
    if not codes:
        return pd.DataFrame(columns=COLUMNS)
    # the rate per 1,000 uses the population of the evaluation year itself (none: no rate)
    pop = panel.counts("population")[year].to_numpy() if year in panel.years else np.full(len(codes), np.nan)
    n_peers = mem.matrix.sum(axis=1) if mem is not None else np.zeros(len(codes), dtype=int)
    frames = []
    for part in ds.policy.parts:
        if not part.measurable or (parts and part.id not in parts) or part.rule.is_threshold:
            continue
        rule, ind = part.rule, ds.indicators[part.indicator]
        c = panel.counts(ind.id)
        base = c[rule.baseline_year].to_numpy() if rule.baseline_year in c.columns else np.full(len(codes), np.nan)
        obs = c[year].to_numpy() if year in c.columns else np.full(len(codes), np.nan)
        r0 = required_ratio(rule, year)
        brk = np.array([bool(ind.breaks_between([rule.baseline_year, year], x)) for x in codes]) \
            if any(cv.kind == "break" for cv in ind.caveats) else np.zeros(len(codes), bool)
        tau = _tau(pv, ind, rule, year, codes) if mem is not None else np.full(len(codes), np.nan)
        tau_source = np.where(np.isfinite(tau), "vergelijkbare gemeenten", "").astype(object)
        if mem is not None:
            pooled = _tau(pv, ind, rule, year, codes, pooled=True)
            tau_source[~np.isfinite(tau) & np.isfinite(pooled)] = "alle gemeenten"
            tau = np.where(np.isfinite(tau), tau, pooled)   # too few usable terms in the group: every municipality
        have = ~np.isnan(base) & ~np.isnan(obs)
        ok = have & (base > 0) & (year > rule.baseline_year)
        b, o = np.where(ok, base, 1.0), np.where(ok, obs, 0.0)
        lo, hi = stats.ratio_interval_robust_v(o, b, tau)
        p = stats.ratio_pvalue_v(o, b, r0, tau)
        met = meets(rule, o, b, r0)
        status = np.where(met, status_for(rule, year, True), status_for(rule, year, False)).astype(object)
        status[~have] = "onvoldoende_gegevens"
        status[have & (base == 0)] = "niet_te_beoordelen"
        if year <= rule.baseline_year:
            status[:] = "basisjaar"
        qual = stats.qualifier_v(lo, hi, r0, brk, lower=rule.lower_bound).astype(object)
        qual[~ok] = ""
        poisson = ~np.isfinite(tau)
        pairs = list(zip(status.tolist(), qual.tolist(), poisson.tolist()))
        labels = {(st, q, po): (status_label(st, rule), qualifier_label(st, rule, q or None, po))
                  for st, q, po in set(pairs)}   # a handful of distinct triples
        tipping = stats.tipping_tau_v(o, b, r0)
        per1000 = per_1000(obs, pop)
        frames.append(pd.DataFrame({
            "gemeente": codes, "naam": [panel.names.get(x, x) for x in codes], "doel_id": part.id, "indicator": ind.id,
            "jaar": year, "basisjaar": rule.baseline_year, "basis": base, "waarde": obs,
            "verhouding": np.where(ok, o / b, np.nan), "vereiste_verhouding": r0,
            "vereist_hoogstens": [float(allowed_count(rule, r)) if k else np.nan for r, k in zip(b * r0, ok)],
            "status": status, "oordeel": [labels[k][0] for k in pairs], "gehaald": np.where(ok, met, None),
            "kwalificatie": qual, "zekerheid": [labels[k][1] for k in pairs],
            "interval_laag": np.where(ok, lo, np.nan), "interval_hoog": np.where(ok, hi, np.nan),
            "p_waarde": np.where(ok, p, np.nan), "overdispersie_tau": tau, "overdispersie_bron": tau_source,
            "kantelpunt_tau": np.where(ok, tipping, np.nan), "reeksbreuk": brk,
            "per_1000_inwoners": per1000, "inwoners": pop, "vergelijkbare_gemeenten": n_peers,
            "herindeling": [(boundary_change(ds, x, rule.baseline_year, year) or ("", 0))[1] for x in codes],
        }))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def _tau(pv: PanelView, ind, rule, year: int, codes: list[str], pooled: bool = False) -> np.ndarray:
    """Per municipality the tau of an absolute verdict, as panel.dispersion.assemble builds it for one:
    the idiosyncratic tau of its peer group (or of every municipality), widened for
    autocorrelation over the lag of the comparison, plus the shared year variation (of all years
    when the baseline or evaluation year is abnormal)."""
    if pooled:
        p = pv.pool_tau(ind.id, year)
        if p is None:
            return np.full(len(codes), np.nan)
        idio, rho = np.full(len(codes), p[0]), np.full(len(codes), np.nan if p[2] is None else p[2])
    else:
        t = pv.peer_tau(ind.id, year).reindex(codes)
        idio, rho = t["tau"].to_numpy(dtype=float), t["rho"].to_numpy(dtype=float)
    lag = year - rule.baseline_year
    widen = np.array([stats.lag_factor(None if not np.isfinite(r) else float(r), lag) for r in rho])
    idio = idio * np.sqrt(widen)
    shocks = pv.shocks(ind.id) if pv.terms(ind.id).relative else None
    if shocks is None:
        return idio
    years = [rule.baseline_year, year]
    shared = np.array([stats.combine(0.0, shocks, ind.is_abnormal(years, c))[1] or 0.0 for c in codes])
    return np.hypot(idio, shared)


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per part: how many municipalities fall in each verdict class (rules.CLASS_ORDER, the
    overview grid's classes): in the target year the rule's test, in an earlier year the
    progress note (on course / at the required level)."""
    t = table.assign(klasse=[verdict_class(r.status, r.kwalificatie) for r in table.itertuples()])
    counts = t.groupby(["doel_id", "klasse"]).size().unstack(fill_value=0)
    return counts.reindex(columns=[c for c in CLASS_ORDER if c in counts.columns], fill_value=0)


class AllTables:
    """The all-municipality table of each year for one data state, built once and shared by every
    report that compares its municipality with its peers (data/views.py)."""

    def __init__(self, ds: Dataset):
        self.ds = ds
        self._years: dict[int, pd.DataFrame] = {}

    def year(self, year: int) -> pd.DataFrame:
        if year not in self._years:
            self._years[year] = evaluate_all(self.ds, year)
        return self._years[year]


def table_for(ds: Dataset, year: int) -> pd.DataFrame:
    """The all-municipality table of `year` (shared: built once per data state)."""
    return view(ds, AllTables).year(year)
