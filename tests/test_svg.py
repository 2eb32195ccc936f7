"""present/svg.py: a figure as SVG in one draw, cropped as savefig(bbox_inches='tight') crops it."""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ivbtools.present.svg import svg_of  # noqa: E402

SIZE = re.compile(r'<svg [^>]*width="([\d.]+)pt" height="([\d.]+)pt"')


def _figure(title: str):
    """A figure with things outside its own area: a title above (suptitle at y=1.1), a legend to the
    right of the axes and a note below them."""
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([2019, 2020, 2021], [10, 12, 9], label="reeks")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    ax.annotate("bron: gemaakt voor deze test", xy=(0, -0.35), xycoords="axes fraction", annotation_clip=False)
    fig.suptitle(title, y=1.1)
    return fig


def test_the_svg_has_the_size_of_matplotlibs_own_tight_box():
    fig = _figure("Een titel boven de figuur")
    ours = svg_of(fig)
    ref = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(ref, format="svg", bbox_inches="tight", pad_inches=0.1)
    plt.close(fig)
    (w, h), (rw, rh) = (map(float, SIZE.search(s).groups()) for s in (ours, ref.getvalue()))
    assert abs(w - rw) < 0.2 and abs(h - rh) < 0.2, ((w, h), (rw, rh))
    assert w > 5 * 72 and h > 3 * 72   # the title, legend and note outside the figure are inside the SVG


def test_the_svg_is_valid_xml_on_white_with_text_as_text_and_the_same_bytes_twice():
    fig = _figure("Titel")
    a, b = svg_of(fig), svg_of(fig)
    plt.close(fig)
    assert a == b   # no date, fixed ids
    root = ET.fromstring(a[a.index("<svg"):])   # without the XML declaration and DOCTYPE
    ns = "{http://www.w3.org/2000/svg}"
    x, y, w, h = map(float, root.get("viewBox").split())
    first = [e for e in root if e.tag == ns + "rect"][0]
    assert first.get("fill") == "#ffffff" and float(first.get("x")) == x and float(first.get("height")) == h
    texts = ["".join(t.itertext()) for t in root.iter(ns + "text")]
    assert "Titel" in texts and "reeks" in texts and "bron: gemaakt voor deze test" in texts


def test_markup_in_a_title_stays_text():
    fig = _figure('<script>alert(1)</script> & "x"')
    s = svg_of(fig)
    plt.close(fig)
    assert "<script" not in s and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in s
