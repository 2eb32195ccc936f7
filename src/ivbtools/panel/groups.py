"""Peer groups ("vergelijkbare gemeenten"): which municipalities are comparable, per year.

The rule is data (data/peers.yaml): a population band around the municipality's own
population, the same urbanisation class where the data give it, at least `min_peers`
members; or a fixed list of codes. Membership for all municipalities at once is one boolean
matrix, so the all-municipality table gets every municipality's peer group in a few
vectorised steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..errors import IvbError
from ..yamlio import read_yaml
from .table import MIN_PANEL_AREAS, Panel

FILE = "peers.yaml"
URBAN_COVERAGE = 0.9   # the class is used when at least this share of municipalities has one


@dataclass(frozen=True)
class PeerConfig:
    band: tuple[float, float] = (0.5, 2.0)
    same_class: bool = True
    min_peers: int = 10
    groups: dict | None = None


def load_config(data_dir: Path) -> PeerConfig:
    path = Path(data_dir) / FILE
    if not path.is_file():
        return PeerConfig(groups={})
    d = read_yaml(path) or {}
    dflt = d.get("default") or {}
    band = dflt.get("population_band", [0.5, 2.0])
    if not (isinstance(band, list) and len(band) == 2 and all(isinstance(b, (int, float)) for b in band) and 0 < band[0] < 1 < band[1]):
        raise IvbError(f"{path}: default.population_band must be two numbers around 1, e.g. [0.5, 2.0]")
    mp = dflt.get("min_peers", 10)
    if not isinstance(mp, int) or mp < 2:
        raise IvbError(f"{path}: default.min_peers must be a whole number of 2 or more")
    groups = d.get("groups") or {}
    if not isinstance(groups, dict) or not all(isinstance(v, list) for v in groups.values()):
        raise IvbError(f"{path}: groups must map a municipality code to a list of codes, e.g. GM1969: [GM0014, GM1966]")
    return PeerConfig(band=(float(band[0]), float(band[1])), same_class=bool(dflt.get("same_urbanisation_class", True)),
                      min_peers=mp, groups={str(k): [str(c) for c in v] for k, v in groups.items()})


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
    cfg = load_config(ds.root)
    if ds.municipalities is not None:
        for owner, members in (cfg.groups or {}).items():
            bad = [c for c in [owner] + members if c not in ds.municipalities]
            if bad:
                raise IvbError(f"{ds.root / FILE}: groups.{owner} names {', '.join(bad)}, not a municipality in "
                               f"data/municipalities.csv — correct the code(s)")
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
            + f" (data/peers.yaml; minstens {cfg.min_peers}, anders de {cfg.min_peers} die qua inwonertal het dichtst bij liggen)")
    if not use_class and cfg.same_class:
        rule += "; de mate van stedelijkheid ontbreekt in de gegevens, dus alleen op inwonertal gekozen"
    years_used = panel.latest_year("population", year)
    return Membership(codes, m, how, rule, {c: (None if pd.isna(y) else int(y)) for c, y in years_used.items()})


def _nl(x: float) -> str:
    return f"{x:g}".replace(".", ",")
