"""Charts (seaborn/matplotlib) with Dutch titles. Each function returns the Axes."""
from __future__ import annotations

import textwrap

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from statsmodels.stats.rates import confint_poisson

from ..data.dataset import Dataset
from ..data.rates import per_1000
from ..fmt import nl_int, nl_num, nl_ratio, nl_value
from ..panel.view import membership, rates
from ..verdict import comparison as peers
from ..verdict.evaluate import Evaluation
from ..verdict.monitor import is_year_to_date, period_of
from ..verdict.rules import CLASS_NL
from .palette import COLOURS
from .sourcelines import source_entries
from .svg import svg_of
from .text import Md

# Titles at a fixed height: matplotlib otherwise measures every tick label of every axes at each
# draw to place the title above them (about a fifth of a chart's render time); these charts have
# no ticks on top.
sns.set_theme(style="whitegrid", context="notebook", rc={"axes.titley": 1.0, "axes.titlepad": 6.0, "figure.dpi": 96})


CAPTION_PT = 9   # source captions: readable on paper (tests/test_charts.py checks it)
FIGSIZE = (8.5, 3.8)   # inches: a report column on screen, about 17 cm wide on A4


def _caption(ax, ds: Dataset, ids) -> None:
    """Name the sources under the chart (publisher, table or document, retrieval date), below the
    x-axis label of `ax` so that they never overlap it; the figure is saved with a tight bounding
    box (the notebook's inline backend), which takes the caption in."""
    ids = sorted(set(ids))
    if not ids:
        return
    text = "Bron: " + "; ".join(source_entries(ds, ids))
    width = int(ax.figure.get_figwidth() * 72 / (0.56 * CAPTION_PT))   # characters per line at this size
    ax.annotate("\n".join(textwrap.wrap(text, width)), xy=(0, 0), xycoords=("axes fraction", ax.xaxis.label),
                xytext=(0, -6), textcoords="offset points", va="top", ha="left", fontsize=CAPTION_PT, color="#555",
                annotation_clip=False, gid="ivb-caption")


def _nl_tick(v: float, _pos=None) -> str:
    """A tick label in Dutch: 1.000 for a thousand, 7,5 for seven and a half."""
    if abs(v - round(v)) < 1e-9:
        return nl_int(round(v))
    return f"{v:g}".replace(".", ",")


def _dutch_y(ax) -> None:
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_nl_tick))


def _no_chart(text: str) -> Md:
    """A sentence instead of an empty chart."""
    return Md(f"*{text}*")


def _breaks(ax, ds: Dataset, indicator: str, area: str, years: list[int]) -> None:
    """Shade a break in the series over its transition year (the E33 registration change of
    March 2020 makes 2020 a mixed year), and abnormal years (e.g. the corona years)."""
    for c in ds.indicators[indicator].caveats:
        if not years or not c.applies(years, area):
            continue
        if c.kind == "break":
            y = c.crosses_year
            ax.axvspan(y - 0.5, y + 0.5, color="C1", alpha=0.15, lw=0,
                       label=f"reeksbreuk ({y} is overgangsjaar):\n{c.label_nl}" if c.label_nl else f"reeksbreuk {y}")
        elif c.kind == "abnormal_year":
            for i, y in enumerate(c.in_years):
                ax.axvspan(y - 0.5, y + 0.5, color="grey", alpha=0.12, lw=0,
                           label=f"ongewoon jaar:\n{c.label_nl or y}" if i == 0 else None)


def _legend_outside(ax) -> None:
    """The legend to the right of the plot, so it never hides a point."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", frameon=False)
    ax.figure.subplots_adjust(right=0.68)


def _xlim(ax, years) -> None:
    """Whole years on the axis, from the first to the last year shown (half a year margin)."""
    ys = [int(y) for y in years if y is not None]
    if ys:
        ax.set_xlim(min(ys) - 0.6, max(ys) + 0.6)
        ax.set_xticks(range(min(ys), max(ys) + 1))
        if max(ys) - min(ys) > 8:
            for lab in ax.get_xticklabels():
                lab.set_rotation(45)


def _plot_series(ax, s: pd.DataFrame, label: str, with_interval: bool) -> None:
    """Points per year, joined only between consecutive years (a gap stays a gap), with the
    exact 95% Poisson interval of each count as an error bar."""
    full = s.set_index("year").reindex(range(int(s.year.min()), int(s.year.max()) + 1))
    ax.plot(full.index, full.value, color="C0", lw=1.5)
    if with_interval:
        lo, hi = zip(*(confint_poisson(int(v), 1, method="exact-c") for v in s.value))
        ax.errorbar(s.year, s.value, yerr=[s.value - lo, [h - v for h, v in zip(hi, s.value)]], fmt="o", color="C0",
                    capsize=3, label=f"{label} (met 95%-interval)")
    else:
        ax.plot(s.year, s.value, "o", color="C0", label=label)


def plot_target(ds: Dataset, ev: Evaluation, ax=None):
    """Series of the municipality with baseline, required path and target year."""
    ind, rule = ev.indicator, ev.part.rule
    s = ds.observations.series(ind.id, ev.area_code)
    if s.empty:
        return _no_chart(f"Geen grafiek: er zijn nog geen cijfers voor {ev.area_name} ({ind.label_nl.lower()}).")
    ax = ax or plt.subplots(figsize=FIGSIZE)[1]
    _plot_series(ax, s, ev.area_name, with_interval=ind.is_count)
    if ev.baseline is not None:
        ax.axhline(ev.baseline.value, color="grey", ls=":", lw=1, label=f"basiswaarde {rule.baseline_year}")
    if ev.required_final is not None and rule.baseline_year and ev.baseline is not None:
        ax.plot([rule.baseline_year, rule.target_year], [ev.baseline.value, ev.required_final], color="C2", ls="--",
                label="pad naar het doel" if rule.kind == "relative_change"
                else f"vereist niveau ({'lager dan' if rule.kind == 'below_baseline' else 'ten hoogste'} {nl_value(ev.baseline.value, ind.unit)})")
    if rule.is_threshold:
        ax.axhline(rule.threshold, color="C2", ls="--", label=f"doel: {nl_num(rule.threshold, 1)} of hoger")
    ax.axvline(rule.target_year, color="C3", lw=1, alpha=0.6, label=f"doeljaar {rule.target_year}")
    if ev.year != rule.target_year:
        ax.axvline(ev.year, color="black", lw=0.8, alpha=0.3, label=f"getoetst jaar {ev.year}")
    shown = list(s.year) + [rule.target_year, ev.year] + ([rule.baseline_year] if rule.baseline_year else [])
    _breaks(ax, ds, ind.id, ev.area_code, shown)
    ax.set(title=f"{ind.label_nl} — {ev.area_name}", xlabel="jaar", ylabel="aantal" if ind.is_count else "rapportcijfer")
    _xlim(ax, shown)
    if ind.is_count:
        ax.set_ylim(bottom=0)
    _dutch_y(ax)
    _legend_outside(ax)
    _caption(ax, ds, s.source_id)
    return ax


def index_frame(ds: Dataset, indicator: str, area: str, base_year: int) -> pd.DataFrame:
    """Municipality and national series as an index (base year = 100), where both are known."""
    ind = ds.indicators[indicator]
    out = []
    for code, name, iid in ((area, ds.area_name(area), indicator),
                            (ind.national_area, "Nederland", ind.national_indicator)):
        if not iid:
            continue
        s = ds.observations.series(iid, code)
        base = s[s.year == base_year]
        if base.empty or not base.value.iloc[0]:
            continue
        out.append(pd.DataFrame({"jaar": s.year, "index": 100 * s.value / base.value.iloc[0], "gebied": name,
                                 "bron": s.source_id}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["jaar", "index", "gebied", "bron"])


def plot_national_index(ds: Dataset, indicator: str, area: str, base_year: int, ax=None):
    df = index_frame(ds, indicator, area, base_year)
    label = ds.indicators[indicator].label_nl
    if df.empty:
        return _no_chart(f"Geen grafiek van de vergelijking met Nederland: het cijfer van het basisjaar {base_year} ontbreekt.")
    ax = ax or plt.subplots(figsize=FIGSIZE)[1]
    groups = list(df.groupby("gebied", sort=False))
    # the national series as a wide, light band under the municipality's thin line with dots: where
    # the two coincide, both stay visible
    for i, (name, grp) in reversed(list(enumerate(groups))):
        own = i == 0
        full = grp.set_index("jaar").reindex(range(int(grp.jaar.min()), int(grp.jaar.max()) + 1))
        style = dict(color="C0", lw=1.6, zorder=4) if own else dict(color="C1", lw=5, alpha=0.45, zorder=2)
        ax.plot(full.index, full["index"], label=name, marker="o" if own else "s", ms=5 if own else 9,
                solid_capstyle="round", **style)
        if full["index"].isna().any():  # gaps: a faint dotted line between known years
            ax.plot(grp.jaar, grp["index"], ":", color=style["color"], lw=1, zorder=2)
    _breaks(ax, ds, indicator, area, list(df.jaar))
    ax.axhline(100, color="grey", lw=0.8, ls=":", label=f"{base_year} = 100")
    _legend_outside(ax)
    _caption(ax, ds, df.bron)
    ax.set(title=f"{label}\ngemeente en Nederland (index, {base_year} = 100)", xlabel="jaar", ylabel="index")
    _dutch_y(ax)
    _xlim(ax, list(df.jaar) + [base_year])
    return ax


def plot_national_for(ds: Dataset, ev: Evaluation, ax=None):
    """The national comparison chart of an evaluation, or a note when there is none."""
    rule = ev.part.rule
    if ev.indicator is None or ev.indicator.national_indicator is None or not rule.baseline_year:
        return _no_chart("Geen grafiek: voor deze indicator is er geen landelijke reeks.")
    return plot_national_index(ds, ev.indicator.id, ev.area_code, rule.baseline_year, ax=ax)


RATIO_TICKS = (0.1, 0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0, 10.0)


def _log_ticks(axis, lo: float, hi: float, mantissas, ratios: bool = False) -> None:
    """Fixed, readable ticks on a log axis (1, 2, 5, 10, 20, … or, for a ratio, 0,5 / 0,8 / 1 /
    1,25 / 2) with Dutch decimal commas and no minor ticks: the automatic locator gave a single
    label ('1') on a short log axis, and its many minor ticks cost render time."""
    import numpy as np

    if ratios:
        ticks = [t for t in RATIO_TICKS if lo <= t <= hi] or [1.0]
    else:
        decades = range(int(np.floor(np.log10(max(lo, 1e-9)))), int(np.ceil(np.log10(max(hi, 1e-9)))) + 1)
        ticks = [m * 10.0 ** d for d in decades for m in mantissas if lo <= m * 10.0 ** d <= hi]
        if len(ticks) < 3:   # a narrow range: finer steps
            ticks = [m * 10.0 ** d for d in decades for m in (1, 1.5, 2, 3, 5, 7) if lo <= m * 10.0 ** d <= hi]
        if len(ticks) > 8:
            ticks = [t for t in ticks if f"{t:g}"[0] == "1"] or ticks
    axis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}".replace(".", ",")))
    axis.set_minor_locator(matplotlib.ticker.NullLocator())


def plot_peers(ds: Dataset, ev: Evaluation):
    """Funnel plots (Spiegelhalter 2005) of the peer group: the change ratio against the baseline
    count, and the rate per 1,000 inhabitants against the expected count; 95% and 99.8% limits
    widened for overdispersion, the municipality highlighted, the required level drawn.
    Draws nothing (returns None) when there is no national panel."""
    import numpy as np


    if ev.indicator is None or ev.part.rule is None or ev.part.rule.is_threshold:
        return None
    cmp = peers.compare(ds, ev.part.id, ev.area_code, ev.year)
    if cmp is None:
        return None
    funnels = [f for f in (cmp.change, cmp.rate) if f is not None]
    if not funnels:
        return None
    fig, axes = plt.subplots(1, len(funnels), figsize=(6.2 * len(funnels), 4.6), squeeze=False)
    for ax, f in zip(axes[0], funnels):
        xs = np.geomspace(max(1.0, f.data.x.min() * 0.8), f.data.x.max() * 1.2, 200)
        for z, style, lab in ((peers.Z95, "--", "95%-grenzen"), (peers.Z998, ":", "99,8%-grenzen")):
            lo, hi = f.limits(xs, z)
            ax.plot(xs, lo, style, color="grey", lw=1, label=lab)
            ax.plot(xs, hi, style, color="grey", lw=1)
        ax.axhline(f.centre, color="grey", lw=1, label="groep samen")
        if f.required is not None:
            ax.axhline(f.required, color="C2", lw=1.5, label=f"vereist ({nl_ratio(f.required)})")
        others, own = f.data[~f.data.is_self], f.data[f.data.is_self]
        ax.scatter(others.x, others.y, s=14, color="C0", alpha=0.6, label="vergelijkbare gemeenten")
        ax.scatter(own.x, own.y, s=60, color="C3", zorder=5, label=ev.area_name)
        ax.set_xscale("log")
        _log_ticks(ax.xaxis, xs.min(), xs.max(), (1, 2, 5))
        if f.what == "verandering":
            ax.set_yscale("log")
            lo, hi = ax.get_ylim()
            _log_ticks(ax.yaxis, lo, hi, (1, 1.25, 2, 5), ratios=True)
            ax.set_ylabel(f"verhouding {ev.year} / {ev.part.rule.baseline_year}")
        else:
            ax.set_ylabel(f"per 1.000 inwoners in {ev.year}")
            _dutch_y(ax)
        ax.set_xlabel(f.x_label)
        ax.set_title(f"{ev.indicator.label_nl}: {f.what}", fontsize=10)
    seen: dict[str, object] = {}
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    # the shared legend at the figure's top, the panels' titles below it (they overlapped it before)
    fig.subplots_adjust(top=0.76)
    fig.legend(list(seen.values()), list(seen), loc="upper center", ncol=3, fontsize=9, bbox_to_anchor=(0.5, 1.0),
               frameon=False)
    fig.suptitle(f"{ev.area_name} tussen {cmp.n} vergelijkbare gemeenten (trechterdiagram)", y=1.0, va="bottom",
                 fontsize=11)
    t = ds.observations.rows_of([ev.indicator.id, "population"], cmp.table.gemeente)
    _caption(axes[0][0], ds, set(t[t.year.isin([ev.part.rule.baseline_year, ev.year])].source_id))
    return axes[0]


def plot_verdict_distribution(counts: pd.DataFrame, titles: dict[str, str], year: int, ax=None):
    """How many municipalities fall in each verdict class, per target part (stacked bars; no map)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.6 * len(counts) + 1.8))
    left = pd.Series(0.0, index=counts.index)
    labels = ["\n".join(textwrap.wrap(titles.get(i, i), 45)) for i in counts.index]   # whole titles, wrapped
    for col in counts.columns:
        ax.barh(labels, counts[col], left=left, color=COLOURS.get(col, ("grey",))[0], label=CLASS_NL.get(col, col),
                edgecolor="white", linewidth=0.5)
        left += counts[col]
    ax.invert_yaxis()
    ax.set_xlabel("aantal gemeenten")
    ax.set_title(f"Oordelen voor alle gemeenten, {year} (doelen van het IVB als maatstaf)", fontsize=11)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=9, frameon=False)
    ax.figure.tight_layout()
    return ax


def national_rate(ds: Dataset, indicator: str, years: list[int]) -> pd.Series | None:
    """The Netherlands per 1,000 inhabitants per year (the national series over the national
    population of the same year), or None when either is missing."""
    ind = ds.indicators[indicator]
    area = ind.national_area or "NL01"
    count = ds.observations.series(ind.national_indicator or indicator, area).set_index("year").value
    pop = ds.observations.series("population", area).set_index("year").value
    r = per_1000(count, pop).dropna()
    r = r[r.index.isin(years)]
    return r if not r.empty else None


def _thin_lines(ax, xs, rows) -> None:
    """Every row as a thin grey line, as one artist (a LineCollection; a Line2D per peer cost about
    0,1 s per chart). A gap (NaN) breaks a line, as it does in ax.plot; z-order, cap and join style
    as ax.plot draws them."""
    import numpy as np
    from matplotlib.collections import LineCollection

    xs = np.asarray(xs, dtype=float)
    segments = []
    for ys in rows:
        ok = np.isfinite(ys)
        # runs of consecutive finite values; a run of one point draws nothing (as in ax.plot)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], ok.view(np.int8), [0]))))
        for a, b in zip(edges[::2], edges[1::2]):
            if b - a > 1:
                segments.append(np.column_stack((xs[a:b], ys[a:b])))
    if segments:
        ax.add_collection(LineCollection(segments, colors="grey", linewidths=0.5, alpha=0.35, zorder=2,
                                         capstyle=matplotlib.rcParams["lines.solid_capstyle"],
                                         joinstyle=matplotlib.rcParams["lines.solid_joinstyle"]))
        ax.autoscale_view()


def plot_peer_band(ds: Dataset, ev: Evaluation):
    """The council's peer chart: the municipality, the middle half of its peer group and the
    Netherlands per 1,000 inhabitants over the years (as waarstaatjegemeente.nl shows it), or a
    sentence when there is no panel."""
    if ev.indicator is None or ev.part.rule is None or ev.part.rule.is_threshold:
        return None
    return plot_peer_series(ds, ev.indicator.id, ev.area_code, ev.year)   # without a panel: None (the text says why)


def plot_peer_series(ds: Dataset, indicator: str, municipality: str, year: int, ax=None):
    """The municipality among its peers over the years (per 1,000 inhabitants): the group's
    median and middle half as a band, every peer as a thin line, the municipality on top.
    Returns None (draws nothing) without a national panel."""

    s = peers.peer_series(ds, indicator, municipality, year)
    if s is None:
        return None
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE)
    mem = membership(ds, year)
    rate = rates(ds, indicator)
    _thin_lines(ax, rate.columns, rate.loc[mem.peers_of(municipality)].to_numpy(dtype=float))
    ax.fill_between(s.jaar, s.groep_p25, s.groep_p75, color="C0", alpha=0.2, label="middelste helft van de groep")
    ax.plot(s.jaar, s.groep_mediaan, color="C0", lw=2, label="mediaan van de groep")
    nl = national_rate(ds, indicator, list(s.jaar))
    if nl is not None:
        ax.plot(nl.index, nl.to_numpy(), color="C1", lw=1.8, ls="--", label="Nederland")
    ax.plot(s.jaar, s.gemeente, color="C3", lw=2.5, marker="o", label=ds.area_name(municipality))
    _breaks(ax, ds, indicator, municipality, list(s.jaar))
    ax.set_ylabel("per 1.000 inwoners")
    _dutch_y(ax)
    ax.set_title(f"{ds.indicators[indicator].label_nl}: {ds.area_name(municipality)} tussen "
                 f"{len(mem.peers_of(municipality))} vergelijkbare gemeenten (groep van {year})", fontsize=10)
    _xlim(ax, list(s.jaar))
    _legend_outside(ax)
    _caption(ax, ds, set(ds.observations.rows_of([indicator, "population"], mem.peers_of(municipality) + [municipality]).source_id))
    return ax


class Chart:
    """A drawn chart as a notebook cell shows it: an SVG (text as text, present/svg.py) with a Dutch
    alternative text (the report's <img alt>, made from the chart's title and legend), the text
    alone in a terminal. The figure is closed, so the inline backend does not show it a second time."""

    def __init__(self, fig):
        self.svg = svg_of(fig)
        self.alt = alt_text(fig)
        self.fig = fig   # kept for save(); closed, so that the inline backend does not show it twice
        plt.close(fig)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/svg+xml": self.svg, "text/plain": self.alt}, {"image/svg+xml": {"alt": self.alt}}

    def save(self, stem, dpi: int = 300) -> Md:
        """The chart for a council memo or print: `stem`.svg (vector, the one on the page) and
        `stem`.png at `dpi` (300: print quality), beside each other; returns a line naming both files."""
        from pathlib import Path

        stem = Path(stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        paths = [stem.with_suffix(".svg"), stem.with_suffix(".png")]
        paths[0].write_text(self.svg, encoding="utf-8")
        self.fig.savefig(paths[1], format="png", dpi=dpi, bbox_inches="tight")
        return Md(f"Bewaard: {paths[0]} en {paths[1]} ({dpi} dpi).")


def alt_text(fig) -> str:
    """'Grafiek: <title>. Getoond: <legend labels>.' for every axes of the figure."""
    titles = [t for t in ([fig._suptitle.get_text()] if fig._suptitle else []) + [ax.get_title() for ax in fig.axes] if t]
    labels = []
    for ax in fig.axes:
        for lab in ax.get_legend_handles_labels()[1]:
            if lab not in labels:
                labels.append(lab)
    for leg in fig.legends:
        labels += [t.get_text() for t in leg.get_texts() if t.get_text() not in labels]
    text = "Grafiek: " + " — ".join(" ".join(t.split()) for t in titles)
    return text + (f". Getoond: {'; '.join(' '.join(lab.split()) for lab in labels)}." if labels else ".")


# The notebooks' chart cells: the chart with its alternative text, or the sentence that says why
# there is none.
def _shown(plot):
    def chart(*args, **kwargs):
        out = plot(*args, **kwargs)
        if isinstance(out, Md) or out is None:
            return out
        ax = out[0] if hasattr(out, "__len__") else out
        return Chart(ax.figure)
    chart.__doc__ = f"{plot.__name__} for a notebook cell: the chart, or the sentence that says why there is none."
    return chart


target_chart = _shown(plot_target)
national_chart = _shown(plot_national_for)
peer_chart = _shown(plot_peer_band)
funnel_chart = _shown(plot_peers)
index_chart = _shown(plot_national_index)
peer_series_chart = _shown(plot_peer_series)


def plot_monitor(ds: Dataset, indicator: str, area: str, rows: pd.DataFrame, first_year: int = 2019):
    """One monitored indicator: the yearly figures since `first_year` and, for each year of the
    monitor, the expected range (a solid grey bar) and the figure; the current year to date ('2026
    t/m oktober') on a panel of its own beside it (fewer months: never on the yearly axis, where ten
    months would look like a fall), its range hatched so that the two read apart in greyscale too;
    returns the Axes of the years."""
    s = ds.observations.series(indicator, area)
    s = s[s.year >= first_year]
    if s.empty and rows.verwacht.isna().all() and rows.waarde.isna().all():
        return _no_chart(f"Geen grafiek: er zijn nog geen cijfers voor {ds.area_name(area)} sinds {first_year} "
                         f"({ds.indicators[indicator].label_nl}; ze komen met het volgende ophalen van de cijfers).")
    part = rows[is_year_to_date(rows)]
    part = part[part.waarde.notna() | part.verwacht.notna()]
    whole = rows[~is_year_to_date(rows)]
    if part.empty:
        fig, ax = plt.subplots(figsize=(7.5, 3.2))
        ax2 = None
    else:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(8.5, 3.4), gridspec_kw={"width_ratios": [5, 1], "wspace": 0.45})
    if not s.empty:
        ax.plot(s.year, s.value, "o-", color="C0", lw=1.5, label=ds.area_name(area))
    r = whole[whole.verwacht.notna() & whole.waarde.notna()]   # a year without its figure: no band to read
    if not r.empty:
        years = r.jaar.astype(int)
        low, high = r.verwacht_laag.astype(float), r.verwacht_hoog.astype(float)
        ax.bar(years, high - low, bottom=low, width=0.3, color="#c4c4c4", edgecolor="none", zorder=0,
               label="verwachte marge (95%)")
        ax.plot(years, r.verwacht.astype(float), "_", color="#555", ms=14, label="verwacht")
    for p in part.itertuples():   # at most one: the year that is not over yet
        if pd.notna(p.verwacht):
            ax2.bar([0], [float(p.verwacht_hoog) - float(p.verwacht_laag)], bottom=[float(p.verwacht_laag)], width=0.5,
                    facecolor="white", edgecolor="C1", hatch="///", zorder=0, label=f"verwachte marge {p.periode} (95%)")
            ax2.plot([0], [float(p.verwacht)], "_", color="#555", ms=14)
        if pd.notna(p.waarde):
            ax2.plot([0], [float(p.waarde)], "D", mfc="white", mec="C1", mew=2, label=f"{p.periode} (tot nu toe)")
        period = period_of(p)
        ax2.set_title(f"{period.year}\nt/m {period.month_nl}", fontsize="small")
        ax2.set_xticks([0], ["tot nu toe"])
        ax2.set_xlim(-0.6, 0.6)
        ax2.set_ylim(bottom=0)
        _dutch_y(ax2)
    shown = list(s.year) + [int(y) for y in whole.jaar]
    _breaks(ax, ds, indicator, area, shown)
    title = f"{ds.indicators[indicator].label_nl} — {ds.area_name(area)}"
    ax.set(xlabel="jaar", ylabel="aantal")
    _xlim(ax, shown)
    ax.set_ylim(bottom=0)
    _dutch_y(ax)
    if ax2 is None:
        ax.set_title(title)
        _legend_outside(ax)
    else:   # the title over both panels; one legend for both, to the right of the year to date
        fig.suptitle(title, x=0.07, y=0.99, ha="left", fontsize="large")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax2.legend(h1 + h2, l1 + l2, loc="upper left", bbox_to_anchor=(1.08, 1), fontsize="small", frameon=False)
        fig.subplots_adjust(right=0.68, top=0.8)
    month_ids = ds.months.table[(ds.months.table.indicator == indicator) & (ds.months.table.area_code == area)].source_id \
        if not part.empty else []
    _caption(ax, ds, list(s.source_id) + list(month_ids))
    return ax


monitor_chart = _shown(plot_monitor)
