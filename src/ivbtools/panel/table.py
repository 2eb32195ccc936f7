"""The national panel: every municipality's figures as matrices (municipality x year).

Built from the resolved observations of a Dataset (normally the "panel" layer that
`ivb fetch --all-municipalities` fills, plus whatever local/cache/snapshot figures exist), so
that peers, the panel's dispersion and the national table read one and the same numbers.
Only current municipalities (data/municipalities.csv) take part; figures are on the
boundaries the tables use: the police tables give every year on current boundaries, CBS's
population table gives each year on that year's boundaries (so a municipality formed in 2019
has no population figure before 2019).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.dataset import Dataset

MIN_PANEL_AREAS = 20   # fewer municipalities with figures: no panel (peers say what is missing)


@dataclass
class Panel:
    codes: list[str]                       # current municipalities with at least one figure
    years: list[int]
    names: dict[str, str]
    _wide: dict[str, pd.DataFrame] = field(default_factory=dict)
    table: pd.DataFrame | None = None      # the GM rows of the resolved observations
    indicators: frozenset = frozenset()    # the indicators the panel holds

    def counts(self, indicator: str) -> pd.DataFrame:
        """codes x years (float, NaN where missing)."""
        if indicator not in self._wide:
            t = self.table[self.table.indicator == indicator]
            w = t.pivot(index="area_code", columns="year", values="value") if not t.empty else pd.DataFrame()
            self._wide[indicator] = w.reindex(index=self.codes, columns=self.years).astype(float)
        return self._wide[indicator]

    def latest_year(self, indicator: str, year: int) -> pd.Series:
        """Per municipality the year whose figure `latest` takes (NaN when there is none)."""
        c = self.counts(indicator)
        cols = [y for y in self.years if y <= year]
        if not cols:
            return pd.Series(np.nan, index=self.codes)
        have = c[cols].notna().to_numpy()
        idx = np.where(have.any(axis=1), have.shape[1] - 1 - np.argmax(have[:, ::-1], axis=1), -1)
        return pd.Series([cols[i] if i >= 0 else np.nan for i in idx], index=self.codes)

    def latest(self, indicator: str, year: int) -> pd.Series:
        """Per municipality the figure of `year`, else the latest earlier one (e.g. population)."""
        c = self.counts(indicator)
        cols = [y for y in self.years if y <= year]
        if not cols:
            return pd.Series(np.nan, index=self.codes)
        return c[cols].ffill(axis=1)[cols[-1]]


def make_panel(ds: Dataset) -> Panel:
    """The panel of a dataset (built once per data state: panel/view.py)."""
    t = ds.observations.table
    t = t[t.area_code.str.startswith("GM")]
    if ds.municipalities is not None:
        t = t[t.area_code.isin(list(ds.municipalities.by_code))]
    codes = sorted(set(t.area_code))
    years = list(range(int(t.year.min()), int(t.year.max()) + 1)) if not t.empty else []
    names = dict(t.drop_duplicates("area_code")[["area_code", "area_name"]].itertuples(index=False))
    panel = Panel(codes=codes, years=years, names=names, table=t[["indicator", "area_code", "year", "value"]],
                  indicators=frozenset(t.indicator.unique()))
    return panel


def boundary_change(ds: Dataset, code: str, first_year: int, last_year: int) -> tuple[str, int] | None:
    """('formed' | 'changed', year) when `code` was formed or changed boundaries after
    `first_year` and up to `last_year` (code-list validity years), else None."""
    m = ds.municipalities.by_code.get(code) if ds.municipalities is not None else None
    if m is None:
        return None
    if m.valid_from and first_year < m.valid_from <= last_year:
        return "formed", m.valid_from
    if m.boundary_changed and first_year < m.boundary_changed <= last_year:
        return "changed", m.boundary_changed
    return None


def boundary_note(ds: Dataset, code: str, first_year: int, last_year: int) -> str:
    """One Dutch sentence when `code` was formed or changed boundaries between the years compared."""
    change = boundary_change(ds, code, first_year, last_year)
    if change is None:
        return ""
    kind, year = change
    name = ds.municipalities.name(code)
    if kind == "formed":
        return (f"{name} bestaat sinds 1 januari {year} (herindeling). De politie geeft in haar open-datatabellen "
                f"ook eerdere jaren op de huidige gemeentegrens (herberekend); CBS-bevolkingscijfers van vóór "
                f"{year} ontbreken voor deze code (CBS telt op de grens van elk jaar), dus voor die jaren staat er "
                f"geen cijfer per 1.000 inwoners; BRON-ongevallen telt ivbtools per gemeentecode zoals die in het "
                f"bestand van elk jaar staat.")
    return (f"De grens van {name} is per 1 januari {year} gewijzigd (herindeling): de politie geeft alle "
            f"jaren op de huidige grens, CBS-bevolkingscijfers op de grens van elk jaar; de jaren vóór en na "
            f"{year} beslaan daardoor niet overal hetzelfde gebied.")
