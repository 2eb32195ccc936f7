"""The charts a council member reads (issue #18), checked geometrically in matplotlib: the source
caption is readable (>= 9 pt), never overlaps the axis label, the tick labels or the legend, and
lies inside the saved image; lines that coincide stay visible; the evaluation year is in the
legend; a chart without data is a sentence; the alternative text is Dutch."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

import ivbtools
from ivbtools.present import plots
from ivbtools.present.text import Md
from ivbtools.verdict.evaluate import evaluate

from conftest import add_local


def _caption(fig):
    found = [t for ax in fig.axes for t in ax.texts if t.get_gid() == "ivb-caption"]
    assert len(found) == 1, "one source caption per chart"
    return found[0]


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _check_caption(fig):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    cap = _caption(fig)
    assert cap.get_fontsize() >= 9
    box = cap.get_window_extent(r)
    others = []
    for ax in fig.axes:
        others += [ax.xaxis.label.get_window_extent(r)] + [t.get_window_extent(r) for t in ax.get_xticklabels() if t.get_text()]
        if ax.get_legend() is not None:
            others.append(ax.get_legend().get_window_extent(r))
    hits = [o for o in others if _overlaps(box, o)]
    assert not hits, f"the caption overlaps {hits}"
    keep = fig.get_tightbbox(r)                                # inches: what savefig(bbox_inches='tight') keeps
    cap_in = box.transformed(fig.dpi_scale_trans.inverted())
    assert keep.y0 <= cap_in.y0 + 1e-6 and keep.x0 <= cap_in.x0 + 1e-6 and cap_in.x1 <= keep.x1 + 1e-6, \
        "the caption is cut off the saved image"


@pytest.fixture(scope="module")
def series_ds(tmp_path_factory):
    """The embedded data with a made-up E33 series for Westerkwartier whose index equals the
    national index in every year (the two lines coincide)."""
    from conftest import copy_project_data

    data = copy_project_data(tmp_path_factory.mktemp("charts") / "data")
    ds = ivbtools.load(data)
    nat = ds.observations.series("confused_person_e33", "NL01").set_index("year").value
    rows = "".join(f"confused_person_e33,GM1969,Westerkwartier,{y},{round(v / 500)},test-fixture\n"
                   for y, v in nat.items() if y not in (2017, 2022))
    add_local(data, rows)
    return ivbtools.load(data)


def test_target_chart_caption_is_readable_and_clear_of_everything(series_ds):
    ev = evaluate(series_ds, "sociaal-verward-gedrag", 2021, "GM1969")
    ax = plots.plot_target(series_ds, ev)
    _check_caption(ax.figure)
    labels = ax.get_legend_handles_labels()[1]
    assert "getoetst jaar 2021" in labels and "doeljaar 2023" in labels
    plt.close(ax.figure)


def test_national_chart_keeps_coinciding_lines_visible(series_ds):
    ds = series_ds
    ax = plots.plot_national_index(ds, "confused_person_e33", "GM1969", 2017)
    _check_caption(ax.figure)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    own, nl = lines["Westerkwartier"], lines["Nederland"]
    # the same index in most years: the national line is wider and under the municipality's
    assert nl.get_linewidth() >= 2.5 * own.get_linewidth() and nl.get_zorder() < own.get_zorder()
    assert nl.get_alpha() is not None and nl.get_alpha() < 1
    labels = ax.get_legend_handles_labels()[1]
    assert {"Westerkwartier", "Nederland", "2017 = 100"} <= set(labels)
    # Dutch tick labels: a thousands point, a decimal comma, never '7.5'
    assert plots._nl_tick(1316000) == "1.316.000" and plots._nl_tick(7.5) == "7,5" and plots._nl_tick(250) == "250"
    plt.close(ax.figure)


def test_a_chart_without_data_is_a_sentence(ds):
    ev = evaluate(ds, "verkeer-rapportcijfer", 2022, "GM1969")   # the survey mark: no figures in the open data
    out = plots.target_chart(ds, ev)
    assert isinstance(out, Md) and str(out).startswith("*Geen grafiek")
    assert isinstance(plots.national_chart(ds, ev), Md)
    assert not plt.get_fignums(), "no empty figure left behind"


def test_chart_cells_carry_a_dutch_alternative_text(series_ds):
    ev = evaluate(series_ds, "sociaal-verward-gedrag", 2022, "GM1969")
    chart = plots.target_chart(series_ds, ev)
    data, meta = chart._repr_mimebundle_()
    alt = meta["image/svg+xml"]["alt"]
    assert alt.startswith("Grafiek: Meldingen overlast door verward persoon (E33) — Westerkwartier")
    assert "doeljaar 2023" in alt and data["text/plain"] == alt and data["image/svg+xml"].lstrip().startswith("<?xml")
    assert not plt.get_fignums()


def test_yearly_files_of_one_publication_are_one_source_line():
    """Issue #29 row 6: BRON's yearly files (made-up entries) become one line with their span and the
    latest retrieval date; other sources stay as they are."""
    from types import SimpleNamespace

    from ivbtools.present.sourcelines import source_entries

    def src(title, day, publisher="Rijkswaterstaat"):
        return SimpleNamespace(publisher=publisher, title_nl=title, retrieved=day)

    ds = SimpleNamespace(sources={
        f"bron-{y}": src(f"BRON verkeersongevallen {y} (ongevallen_{y}.zip), geteld per gemeente en jaar",
                         "2026-12-0" + str(1 + (y == 2025))) for y in range(2017, 2026)} | {
        "cbs": src("Bevolking; kerncijfers (03759ned)", "2026-11-28", publisher="CBS")})
    lines = source_entries(ds, list(ds.sources))
    assert lines == ["Rijkswaterstaat, BRON verkeersongevallen 2017–2025, geteld per gemeente en jaar (opgehaald 2 december 2026)",
                     "CBS, Bevolking; kerncijfers (03759ned) (opgehaald 28 november 2026)"]


def test_no_chart_text_is_smaller_than_9_pt(ds):
    """Issue #29 row 3: every text of a chart (titles, ticks, legends, caption) is at least 9 pt, so a
    chart shown at its own size (a phone scrolls it in its box) is readable."""
    import matplotlib.text
    import pandas as pd

    from ivbtools.verdict.monitor import monitor_table

    def small(fig):
        return [(t.get_text()[:30], t.get_fontsize()) for t in fig.findobj(matplotlib.text.Text)
                if t.get_visible() and t.get_text().strip() and t.get_fontsize() < 9]

    ev = evaluate(ds, "sociaal-verward-gedrag", 2022, "GM1969")
    t = monitor_table(ds, 2026)
    counts = pd.DataFrame({"met": [3, 1], "not_met": [1, 2]}, index=["a", "b"])
    figures = [plots.plot_target(ds, ev).figure, plots.plot_national_for(ds, ev).figure,
               plots.plot_monitor(ds, "confused_person_e33", "GM1969", t[t.indicator == "confused_person_e33"]).figure,
               plots.plot_verdict_distribution(counts, {"a": "doel a", "b": "doel b"}, 2023).figure]
    for fig in figures:
        assert not small(fig), small(fig)
        plt.close(fig)
    # the check can fail
    fig, ax = plt.subplots()
    ax.plot([1], [1], label="x")
    ax.legend(fontsize=8)
    assert small(fig) == [("x", 8.0)]
    plt.close(fig)


def test_a_chart_saves_as_svg_and_as_a_300_dpi_png(ds, tmp_path):
    """Issue #29 (analyst): a chart for a council memo, at print quality: the vector SVG of the page
    and a PNG at 300 dpi, as many pixels as the SVG's size in points at 300 dpi."""
    import re

    from PIL import Image

    ev = evaluate(ds, "sociaal-verward-gedrag", 2022, "GM1969")
    chart = plots.target_chart(ds, ev)
    line = chart.save(tmp_path / "memo" / "e33")
    svg, png = tmp_path / "memo" / "e33.svg", tmp_path / "memo" / "e33.png"
    assert str(svg) in str(line) and "300 dpi" in str(line)
    assert svg.read_text(encoding="utf-8") == chart.svg
    big = Image.open(png)
    width_pt = float(re.search(r'width="([\d.]+)pt"', chart.svg).group(1))
    assert round(big.info["dpi"][0]) == 300
    assert abs(big.width / (width_pt / 72 * 300) - 1) < 0.01, (big.width, width_pt)   # text is hinted per dpi


def test_peer_lines_break_at_gaps_as_ax_plot_does():
    """The peers' thin lines are one LineCollection: a missing year (NaN) breaks a line, a lone point
    draws nothing, as in ax.plot — the same pixels as one Line2D per peer (made-up rows)."""
    import numpy as np

    nan = float("nan")
    xs = [2018, 2019, 2020, 2021, 2022]
    rows = np.array([[1.0, 2.0, nan, 4.0, 5.0],      # two pieces
                     [nan, 3.0, nan, nan, 1.0],      # two lone points: nothing
                     [2.0, 2.5, 3.0, 3.5, 4.0]])     # one piece
    fig, ax = plt.subplots()
    plots._thin_lines(ax, xs, rows)
    (lc,) = ax.collections
    got = [seg.tolist() for seg in lc.get_segments()]
    assert got == [[[2018, 1], [2019, 2]], [[2021, 4], [2022, 5]], [[2018, 2], [2019, 2.5], [2020, 3], [2021, 3.5], [2022, 4]]]
    assert ax.get_xlim()[0] <= 2018 and ax.get_ylim()[1] >= 5     # the view takes them in
    fig.set_size_inches(4, 3)
    ax.set_xlim(2017.5, 2022.5), ax.set_ylim(0, 6)
    fig.canvas.draw()
    mine = np.asarray(fig.canvas.buffer_rgba()).copy()
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(4, 3))
    for r in rows:
        ax.plot(xs, r, color="grey", lw=0.5, alpha=0.35)
    ax.set_xlim(2017.5, 2022.5), ax.set_ylim(0, 6)
    fig.canvas.draw()
    theirs = np.asarray(fig.canvas.buffer_rgba()).copy()
    plt.close(fig)
    assert (mine != theirs).sum() == 0
