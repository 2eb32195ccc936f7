"""The panel view: everything derived from the all-municipality panel for one data state.

Built on first use and shared by every report a process runs on the same data state
(data/views.py): the panel matrices, the peer groups of each year, the dispersion terms of each
indicator, the shared year shocks and the peer/pooled tau. A report on a warm worker reads them
instead of building them again. The functions below are the panel's public face for the layers
above (evaluation, peer comparison, reports).
"""
from __future__ import annotations

from functools import cache, cached_property

import numpy as np
import pandas as pd

from .. import stats
from ..data.dataset import Dataset
from ..data.rates import per_1000
from ..data.views import view
from .dispersion import Terms, assemble, group_tau, how_text, make_shocks, make_terms, pooled
from .groups import Membership, make_membership
from .table import Panel, make_panel


class PanelView:
    def __init__(self, ds: Dataset):
        self.ds = ds
        # caches of this instance only (a class-level lru_cache would keep every data state alive)
        for name in ("membership", "terms", "shocks", "peer_tau", "pool_tau", "rates"):
            setattr(self, name, cache(getattr(self, name)))

    @cached_property
    def panel(self) -> Panel:
        return make_panel(self.ds)

    @cache
    def membership(self, year: int) -> Membership | None:
        return make_membership(self.ds, self.panel, year)

    @cache
    def terms(self, indicator: str) -> Terms:
        return make_terms(self.ds, self.panel, indicator)

    @cache
    def shocks(self, indicator: str) -> stats.YearShocks | None:
        return make_shocks(self.ds, indicator)

    @cache
    def peer_tau(self, indicator: str, year: int) -> pd.DataFrame:
        mem = self.membership(year)
        if mem is None:
            return pd.DataFrame({"tau": [], "terms": [], "rho": []})
        return group_tau(mem, self.terms(indicator))

    @cache
    def pool_tau(self, indicator: str, year: int) -> tuple[float, int, float | None] | None:
        if self.membership(year) is None:
            return None
        return pooled(self.terms(indicator))

    @cache
    def rates(self, indicator: str) -> pd.DataFrame:
        """Every municipality's figure per 1,000 inhabitants (municipalities x years)."""
        return per_1000(self.panel.counts(indicator), self.panel.counts("population"))

    def peer_dispersion(self, indicator: str, area: str, year: int, years: list[int] | None = None) -> stats.Dispersion | None:
        """The Dispersion of `area` from its peers; None without a panel or with too few usable
        terms in the group. `years`: the baseline and evaluation years compared."""
        t = self.peer_tau(indicator, year)
        if area not in t.index or not np.isfinite(t.loc[area, "tau"]):   # NaN: fewer than MIN_TERMS terms
            return None
        mem = self.membership(year)
        i = mem.codes.index(area)
        n = int(mem.matrix[i].sum())
        rows = mem.matrix[i] | (np.arange(len(mem.codes)) == i)
        terms = int(t.loc[area, "terms"])
        tt = self.terms(indicator)
        return assemble(self.ds.indicators[indicator], area, years or [year - 1, year], float(t.loc[area, "tau"]),
                        t.loc[area, "rho"], terms, "peers",
                        f"over {n} vergelijkbare gemeenten en de gemeente zelf ({how_text(tt)}; {terms} termen)",
                        rows, tt, self.shocks(indicator))

    def pool_dispersion(self, indicator: str, year: int, years: list[int] | None = None,
                        area: str = "") -> stats.Dispersion | None:
        """The Dispersion pooled over every municipality, or None."""
        p = self.pool_tau(indicator, year)
        if p is None:
            return None
        tau, terms, rho = p
        tt = self.terms(indicator)
        rows = np.ones(len(self.panel.codes), dtype=bool)
        return assemble(self.ds.indicators[indicator], area, years or [year - 1, year], tau, rho, terms, "pool",
                        f"over alle gemeenten samen, omdat de vergelijkbare gemeenten te weinig bruikbare jaren "
                        f"hebben ({how_text(tt)}; {terms} termen)", rows, tt, self.shocks(indicator))


def panel_view(ds: Dataset) -> PanelView:
    return view(ds, PanelView)


def build_panel(ds: Dataset) -> Panel:
    return panel_view(ds).panel


def membership(ds: Dataset, year: int) -> Membership | None:
    """Peer groups for `year`; None when the panel lacks population figures for the rule."""
    return panel_view(ds).membership(year)


def has_panel(ds: Dataset, year: int) -> bool:
    """Whether the data hold a panel of municipalities with population figures for `year`."""
    return panel_view(ds).membership(year) is not None


def peer_tau(ds: Dataset, indicator: str, year: int) -> pd.DataFrame:
    return panel_view(ds).peer_tau(indicator, year)


def pool_tau(ds: Dataset, indicator: str, year: int):
    return panel_view(ds).pool_tau(indicator, year)


def year_shocks(ds: Dataset, indicator: str) -> stats.YearShocks | None:
    return panel_view(ds).shocks(indicator)


def terms(ds: Dataset, indicator: str) -> Terms:
    return panel_view(ds).terms(indicator)


def peer_dispersion(ds: Dataset, indicator: str, area: str, year: int, years: list[int] | None = None):
    return panel_view(ds).peer_dispersion(indicator, area, year, years)


def pool_dispersion(ds: Dataset, indicator: str, year: int, years: list[int] | None = None, area: str = ""):
    return panel_view(ds).pool_dispersion(indicator, year, years, area)


def rates(ds: Dataset, indicator: str) -> pd.DataFrame:
    return panel_view(ds).rates(indicator)
