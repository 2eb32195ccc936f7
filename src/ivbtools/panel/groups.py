"""Peer groups ("vergelijkbare gemeenten"): which municipalities are comparable, per year.

The rule is data (data/peers.yaml): a population band around the municipality's own
population, the same urbanisation class where the data give it, at least `min_peers`
members; or a fixed list of codes. Membership for all municipalities at once is one boolean
matrix, so the all-municipality table gets every municipality's peer group in a few
vectorised steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..data.peers import FILE, PeerConfig, load_config  # noqa: F401 — PeerConfig is part of this module's face
from .table import MIN_PANEL_AREAS, Panel

URBAN_COVERAGE = 0.9   # the class is used when at least this share of municipalities has one


@dataclass
class Membership:
    """Peer groups of every municipality of the panel for one year."""
    codes: list[str]
    matrix: np.ndarray          # matrix[i, j]: j is a peer of i (never i itself)
    how: dict[str, str]         # per code: 'band', 'nearest' (band too small) or 'list'
    rule_nl: str
    pop_year: dict = field(default_factory=dict)   # per code: the year whose population chose the group (None: none)

    def peers_of(self, code: str) -> list[str]:
        i = self.codes.index(code)
        return [c for c, m in zip(self.codes, self.matrix[i]) if m]


def make_membership(ds: Dataset, panel: Panel, year: int) -> Membership | None:
    """Peer groups for `year`; None when the panel lacks population figures for the rule."""
    cfg = load_config(ds.root)   # its codes were checked when the data folder was loaded (data/peers.py)
    pop = panel.latest("population", year) if panel.codes else pd.Series(dtype=float)
    if int(pop.notna().sum()) < MIN_PANEL_AREAS:
        return None
    codes = panel.codes
    p = pop.to_numpy(dtype=float)
    urban = panel.latest("urbanisation_class", year) if "urbanisation_class" in panel.indicators else None
    use_class = cfg.same_class and urban is not None and urban.notna().mean() >= URBAN_COVERAGE
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = p[None, :] / p[:, None]
        logdist = np.abs(np.log(ratio))
    valid = np.isfinite(logdist)
    np.fill_diagonal(valid, False)
    same = np.ones_like(valid)
    if use_class:
        u = urban.to_numpy(dtype=float)
        same = (u[None, :] == u[:, None])
    band = valid & same & (ratio >= cfg.band[0]) & (ratio <= cfg.band[1])
    how = {}
    m = band.copy()
    for i, c in enumerate(codes):
        if c in (cfg.groups or {}):
            m[i] = np.isin(codes, [x for x in cfg.groups[c] if x != c])
            how[c] = "list"
        elif not np.isfinite(p[i]):
            m[i] = False
            how[c] = "none"
        elif band[i].sum() >= cfg.min_peers:
            how[c] = "band"
        else:   # the min_peers nearest in population, of the same class where there are enough
            cand = valid[i] & same[i] if (valid[i] & same[i]).sum() >= cfg.min_peers else valid[i]
            d = np.where(cand, logdist[i], np.inf)
            m[i] = False
            m[i, np.argsort(d, kind="stable")[:cfg.min_peers]] = True
            m[i] &= np.isfinite(d)
            how[c] = "nearest"
    lo, hi = cfg.band
    rule = (f"gemeenten met {_nl(lo)} tot {_nl(hi)} keer zoveel inwoners"
            + (" en dezelfde mate van stedelijkheid (de klasse waarin hun middelste inwoner woont)" if use_class else "")
            + f" (minstens {cfg.min_peers}, anders de {cfg.min_peers} die qua inwonertal het dichtst bij liggen)")
    if not use_class and cfg.same_class:
        rule += "; de mate van stedelijkheid ontbreekt in de gegevens, dus alleen op inwonertal gekozen"
    years_used = panel.latest_year("population", year)
    return Membership(codes, m, how, rule, {c: (None if pd.isna(y) else int(y)) for c, y in years_used.items()})


def _nl(x: float) -> str:
    return f"{x:g}".replace(".", ",")
