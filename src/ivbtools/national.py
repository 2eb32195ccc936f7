"""Every target part for every municipality at once: the national table (`ivb national`).

Vectorised over the panel (numpy/scipy on municipality x year matrices): the same rule, the
same label and the same qualifier as evaluate.evaluate gives one municipality (tests compare
the two), with each municipality's overdispersion estimated across its own peer group
(peers.py). The policy's targets are applied to every municipality as a yardstick: the
other municipalities did not set them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats
from .dataset import Dataset
from .evaluate import STATUS_NL, qualifier_label, required_ratio, status_label
from .panel import build_panel
from .peers import membership, peer_tau

MET = {"gehaald", "op_koers", "op_niveau"}
COLUMNS = ["gemeente", "naam", "doel_id", "indicator", "jaar", "basisjaar", "basis", "waarde", "verhouding",
           "vereiste_verhouding", "vereist_hoogstens", "status", "oordeel", "gehaald", "kwalificatie", "zekerheid",
           "interval_laag", "interval_hoog", "p_waarde", "overdispersie_tau", "reeksbreuk", "per_1000_inwoners",
           "inwoners", "vergelijkbare_gemeenten", "herindeling"]


def _allowed(kind: str, required: np.ndarray) -> np.ndarray:
    if kind == "below_baseline":
        return np.ceil(required - 1e-9) - 1
    return np.floor(required + 1e-9)


def evaluate_all(ds: Dataset, year: int, parts: list[str] | None = None) -> pd.DataFrame:
    """One row per (municipality, measurable count part) for `year`."""
    panel = build_panel(ds)
    mem = membership(ds, year, panel)
    codes = panel.codes
    if not codes:
        return pd.DataFrame(columns=COLUMNS)
    pop = panel.latest("population", year).reindex(codes)
    pop_year = panel.counts("population")[year] if year in panel.years else pd.Series(np.nan, index=codes)
    n_peers = mem.matrix.sum(axis=1) if mem is not None else np.zeros(len(codes), dtype=int)
    herindeling = _boundary_flags(ds, codes)
    frames = []
    for part in ds.policy.parts:
        if not part.measurable or (parts and part.id not in parts) or part.rule.kind == "at_least":
            continue
        rule, ind = part.rule, ds.indicators[part.indicator]
        c = panel.counts(ind.id)
        base = c[rule.baseline_year].to_numpy() if rule.baseline_year in c.columns else np.full(len(codes), np.nan)
        obs = c[year].to_numpy() if year in c.columns else np.full(len(codes), np.nan)
        r0 = required_ratio(rule, year)
        strict = rule.kind == "below_baseline"
        brk = any(cv.kind == "break" and not cv.areas and cv.applies([rule.baseline_year, year], "") for cv in ind.caveats)
        tau = peer_tau(ds, ind.id, year)["tau"].reindex(codes).to_numpy() if mem is not None else np.full(len(codes), np.nan)
        have = ~np.isnan(base) & ~np.isnan(obs)
        ok = have & (base > 0) & (year > rule.baseline_year)
        b, o = np.where(ok, base, 1.0), np.where(ok, obs, 0.0)
        lo, hi = stats.ratio_interval_robust_v(o, b, tau)
        p = stats.ratio_pvalue_v(o, b, r0, tau)
        met = (o < b * r0) if strict else (o <= b * r0 + 1e-9)
        if year >= rule.target_year:
            status = np.where(met, "gehaald", "niet_gehaald")
        elif rule.kind == "relative_change":
            status = np.where(met, "op_koers", "niet_op_koers")
        else:
            status = np.where(met, "op_niveau", "niet_op_niveau")
        status = status.astype(object)
        status[~have] = "onvoldoende_gegevens"
        status[have & (base == 0)] = "niet_te_beoordelen"
        if year <= rule.baseline_year:
            status[:] = "basisjaar"
        qual = stats.qualifier_v(lo, hi, r0, np.full(len(codes), brk)).astype(object)
        qual[~ok] = None
        with np.errstate(divide="ignore", invalid="ignore"):
            per1000 = np.where(pop_year.to_numpy() > 0, obs / pop_year.to_numpy() * 1000, np.nan)
        frames.append(pd.DataFrame({
            "gemeente": codes, "naam": [panel.names.get(x, x) for x in codes], "doel_id": part.id, "indicator": ind.id,
            "jaar": year, "basisjaar": rule.baseline_year, "basis": base, "waarde": obs,
            "verhouding": np.where(ok, o / b, np.nan), "vereiste_verhouding": r0,
            "vereist_hoogstens": np.where(ok, _allowed(rule.kind, b * r0), np.nan),
            "status": status, "gehaald": np.where(ok, met, None), "kwalificatie": qual,
            "interval_laag": np.where(ok, lo, np.nan), "interval_hoog": np.where(ok, hi, np.nan),
            "p_waarde": np.where(ok, p, np.nan), "overdispersie_tau": tau, "reeksbreuk": brk,
            "per_1000_inwoners": per1000, "inwoners": pop.to_numpy(), "vergelijkbare_gemeenten": n_peers,
            "herindeling": [herindeling[x] if herindeling[x] and rule.baseline_year < herindeling[x] <= year else 0
                            for x in codes],
        }))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["kwalificatie"] = out.kwalificatie.where(out.kwalificatie.map(lambda q: isinstance(q, str)), "")
    labels: dict[tuple, tuple[str, str]] = {}   # a handful of distinct (status, part, qualifier)
    for k in set(zip(out.status, out.doel_id, out.kwalificatie)):
        rule = ds.policy.part(k[1]).rule
        labels[k] = (status_label(k[0], rule) if k[0] in STATUS_NL else k[0], qualifier_label(k[0], rule, k[2] or None))
    keys = list(zip(out.status, out.doel_id, out.kwalificatie))
    out["oordeel"] = [labels[k][0] for k in keys]
    out["zekerheid"] = [labels[k][1] for k in keys]
    return out[COLUMNS]


def _boundary_flags(ds: Dataset, codes: list[str]) -> dict[str, int]:
    """Per code the year it was formed or last changed boundaries (0 when not known)."""
    out = {}
    for c in codes:
        m = ds.municipalities.by_code.get(c) if ds.municipalities is not None else None
        out[c] = (m.valid_from or m.boundary_changed or 0) if m else 0
    return out


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per part: how many municipalities fall in each verdict class (for the overview chart)."""
    def cls(r):
        if r.status in ("onvoldoende_gegevens", "niet_te_beoordelen", "basisjaar"):
            return "geen oordeel"
        met = r.status in MET
        if r.kwalificatie == stats.BREAK:
            return "gehaald, reeksbreuk" if met else "niet gehaald, reeksbreuk"
        clear = r.kwalificatie in (stats.CLEAR_MET, stats.CLEAR_NOT_MET)
        return ("duidelijk " if clear else "") + ("gehaald" if met else "niet gehaald") + ("" if clear else ", binnen de ruis")
    t = table.assign(klasse=[cls(r) for r in table.itertuples()])
    order = ["duidelijk gehaald", "gehaald, binnen de ruis", "gehaald, reeksbreuk", "niet gehaald, reeksbreuk",
             "niet gehaald, binnen de ruis", "duidelijk niet gehaald", "geen oordeel"]
    counts = t.groupby(["doel_id", "klasse"]).size().unstack(fill_value=0)
    return counts.reindex(columns=[o for o in order if o in counts.columns], fill_value=0)
