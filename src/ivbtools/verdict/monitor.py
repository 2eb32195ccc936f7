"""The 2024–2027 monitor (issue #19): per priority, indicator, area and year from the policy's
first year on — a whole year, or the current year to date from the monthly figures — the figure
beside its expected range and the signal (verdict/signals.py, docs/monitor-methods.md), with the
national signal and the municipality's place among its peers as context."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..data.months import Period, YearToDate
from ..data.series import Series
from ..fmt import nl_int, nl_num
from ..panel.view import membership, rates
from . import signals


@dataclass(frozen=True)
class Row:
    prioriteit: str
    indicator: str
    indicator_naam: str
    gemeente: str
    gemeente_naam: str
    periode: str                 # the label: '2025', or '2026 t/m oktober'
    jaar: int
    tot_maand: int | None        # a year to date: its last month (1-12); a whole year: empty
    waarde: float | None
    # the figure may still change: a year the source marks provisional (the police's newest year), or
    # a year to date (monthly figures are revised afterwards)
    voorlopig: bool
    verwacht: float | None
    verwacht_laag: float | None
    verwacht_hoog: float | None
    signaal: str
    # a signal's strength (M2.2): 'sterk' outside the 99% range too, 'zwak' only outside the 95% one
    sterkte: str
    basisjaren: str
    trend: str
    landelijk_waarde: float | None
    landelijk_verwacht_laag: float | None
    landelijk_verwacht_hoog: float | None
    landelijk_signaal: str
    vergelijkbare_gemeenten: str
    # baseline years that were themselves outside their expected range: they widen this range
    # (docs/monitor-methods.md, 'After a signalled year')
    basis_buiten_verwachting: str


COLUMNS = [f.name for f in fields(Row)]   # signals.csv, in this order


def _series(ds: Dataset, indicator: str, area: str) -> Series:
    return Series.of(ds, indicator, area)


def expectation(ds: Dataset, indicator: str, area: str, year: int) -> tuple[signals.Expectation | None, float | None]:
    """The expected range of `indicator` in `area` for `year` and the figure itself (None if missing)."""
    series = _series(ds, indicator, area)
    return signals.expect_in(series, year), series.get(year)


def signalled_baseline(series: Series, e: signals.Expectation | None) -> list[int]:
    """The baseline years of `e` that were themselves outside the range expected from the years
    before them (by the same rule)."""
    if e is None:
        return []
    out = []
    for b in e.baseline_years:
        eb = signals.expect_in(series, b)
        if eb is not None and eb.signal(series.values[b]) in (signals.HIGHER, signals.LOWER):
            out.append(b)
    return out


def year_to_date(ds: Dataset, indicator: str, area: str, year: int) -> tuple[signals.Expectation | None, YearToDate] | None:
    """`year` up to its last published month against the same months of the years before, by the
    same rule as a whole year (baseline years, breaks, abnormal years; docs/monitor-methods.md,
    'Het lopende jaar'): (expectation, the months so far with their label 'YYYY t/m <maand>');
    None when the monthly figures do not hold part of `year`."""
    return _year_to_date(ds, _series(ds, indicator, area), year)


def _year_to_date(ds: Dataset, series: Series, year: int):
    ytd = ds.months.year_to_date(series.indicator, series.area, year)
    if ytd is None:
        return None
    return signals.expect_in(series.with_values(ytd.earlier), year), ytd


def _period(ds: Dataset, indicator: str, area: str, year: int):
    """(expectation, figure, period, the series the expectation rests on) of `year`: the whole
    year when the yearly figures hold it, else the year to date from the monthly figures (the
    series: the same months of earlier years), else no figure."""
    series = _series(ds, indicator, area)
    e, value = signals.expect_in(series, year), series.get(year)
    if value is None:
        got = _year_to_date(ds, series, year)
        if got is not None:
            ye, ytd = got
            return ye, ytd.value, ytd.period, series.with_values(ytd.earlier)
    return e, value, Period(year), series


def _provisional(ds: Dataset, indicator: str, area: str, year: int) -> bool:
    """The source of this figure marks its year provisional."""
    obs = ds.observations.get(indicator, area, year)
    src = ds.sources.get(obs.source_id) if obs is not None else None
    return bool(src is not None and src.is_provisional(year))


def is_year_to_date(table: pd.DataFrame) -> pd.Series:
    """Which rows of a monitor table are a year to date ('2026 t/m oktober'), not a whole year:
    the rows with a last month (column tot_maand), never read back from the label."""
    return table["tot_maand"].notna() if "tot_maand" in table else pd.Series(False, index=table.index)


def period_of(row) -> Period:
    """The period of one monitor-table row."""
    m = getattr(row, "tot_maand", None)
    return Period(int(row.jaar), None if m is None or pd.isna(m) else int(m))


def peer_position(ds: Dataset, indicator: str, area: str, year: int) -> str:
    """Where the municipality's rate per 1,000 inhabitants stands in its peer group's middle half."""
    mem = membership(ds, year) if year <= max(ds.observations.years() or (0, 0)) else None
    if mem is None or area not in mem.codes:
        return "geen vergelijking: de cijfers van alle gemeenten ontbreken"
    r = rates(ds, indicator)
    if year not in r.columns:
        return "geen cijfers van dit jaar"
    group = r.loc[mem.peers_of(area), year].dropna()
    own = r.loc[area, year] if area in r.index else np.nan
    if group.empty or not np.isfinite(own):
        return "geen cijfers van dit jaar"
    lo, hi = group.quantile(0.25), group.quantile(0.75)
    where = "boven de middelste helft" if own > hi else "onder de middelste helft" if own < lo else "in de middelste helft"
    return (f"{nl_num(own, 2)} per 1.000 inwoners: {where} van {len(group)} vergelijkbare gemeenten "
            f"({nl_num(lo, 2)}–{nl_num(hi, 2)})")


def monitor_table(ds: Dataset, year: int, area: str | None = None) -> pd.DataFrame:
    """One row per priority indicator, area (the municipality) and year from the policy's first
    year up to `year`: a whole year, or the year to date ('2026 t/m oktober') where only the
    monthly figures hold part of it."""
    mon = ds.monitor
    if mon is None:
        return pd.DataFrame(columns=COLUMNS)
    area = area or mon.municipality
    rows = []
    for p in mon.priorities:
        for mi in p.indicators:
            ind = ds.indicators[mi.indicator]
            for y in range(mon.period[0], year + 1):
                e, value, period, series = _period(ds, ind.id, area, y)
                whole = period.whole
                flagged = signalled_baseline(series, e)
                ne, nvalue = None, None
                if ind.national_indicator:
                    ne, nvalue, nperiod, _ = _period(ds, ind.national_indicator, ind.national_area, y)
                    if nperiod != period:   # the national figure of other months is no context
                        ne, nvalue = None, None
                rows.append(Row(
                    p.name, ind.id, ind.label_nl, area, ds.area_name(area), period.label, period.year,
                    period.last_month, value,
                    value is not None and (not whole or _provisional(ds, ind.id, area, y)),
                    e.expected if e else None, e.low if e else None, e.high if e else None,
                    e.signal(value) if e else (signals.NO_DATA if value is None else signals.NO_EXPECTATION),
                    e.strength(value) if e else "",
                    ", ".join(map(str, e.baseline_years)) if e else "",
                    ("ja" if e.trend else "nee") if e else "",
                    nvalue, ne.low if ne else None, ne.high if ne else None,
                    (ne.signal(nvalue) if ne else signals.NO_EXPECTATION) if ind.national_indicator else "",
                    (peer_position(ds, ind.id, area, y) if whole else
                     "geen vergelijking: van andere gemeenten alleen hele jaren") if value is not None else "",
                    ", ".join(map(str, flagged)),
                ))
    table = pd.DataFrame([asdict(r) for r in rows], columns=COLUMNS)
    table["jaar"] = table["jaar"].astype("Int64")
    table["tot_maand"] = table["tot_maand"].astype("Int64")
    return table


def range_text(low: float | None, high: float | None) -> str:
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return "–"
    return f"{nl_int(np.floor(low))}–{nl_int(np.ceil(high))}"


def backtest(ds: Dataset, indicator: str, area: str, first: int = 2015) -> pd.DataFrame:
    """For every known year from `first`: the range the method would have expected from the years
    before it, and the signal — how often the method would have raised a flag in the past."""
    series = _series(ds, indicator, area)
    rows = []
    for y in (t for t in series.years if t >= first):
        e, value = expectation(ds, indicator, area, y)
        rows.append({"jaar": y, "waarde": value, "verwacht": e.expected if e else None,
                     "marge": range_text(e.low, e.high) if e else "–",
                     "basisjaren": ", ".join(map(str, e.baseline_years)) if e else "",
                     "trend": ("ja" if e.trend else "nee") if e else "",
                     "overdispersie_phi": e.phi if e else None,
                     "signaal": e.signal(value) if e else signals.NO_EXPECTATION})
    return pd.DataFrame(rows, columns=["jaar", "waarde", "verwacht", "marge", "basisjaren", "trend",
                                       "overdispersie_phi", "signaal"])
