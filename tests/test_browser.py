"""The pages a council member reads, checked in a real browser (issue #18): headless Chromium
(Debian's `chromium`, driven by Playwright; `.ci/run` installs it when missing) at 1400 px and
800 px wide and printed to A4 PDF.

The outputs come from a full-data run against the replay server's all-municipality stand-in
(tests/panel_fixture.py: MADE-UP VALUES; the session's one fetch of it, as served in December 2026,
shared with the monitor tests), so every chart, the peer band and the national page are on the
pages, as after an online `make report`.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from test_outputs import council_part, forbidden_in, visible_text

from conftest import ROOT, digest

CHROMIUM = os.environ.get("IVB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("IVB_REQUIRE_BROWSER"):   # set by .ci/run: CI runs this test, never skips it
        raise RuntimeError("IVB_REQUIRE_BROWSER is set but there is no Chromium — apt-get install chromium")
    pytest.skip("no Chromium here (apt-get install chromium; .ci/run installs it)", allow_module_level=True)
sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright

YEAR = 2023
A4_PRINT_WIDTH = 703   # CSS px: 210 mm less the stylesheet's 2 x 12 mm page margins, at 96 px per inch
# Sentences that reached the reports in English before (issue #18); none may come back.
ENGLISH = ["host name could not be resolved", "cannot connect", "Article on", "Counted by ivbtools",
           "Figures as given in project issue", "National series downloaded", "Analysis of road accidents",
           "Annual analyses of", "figures for", "are not kept", "not municipalities", "Notebook", "retrieved",
           "the service", "try again later", "(table 470"]


@pytest.fixture(scope="module")
def site(tmp_path_factory, through_october):
    """outputs/ of `ivb run --year 2023`, `ivb national --year 2023` and `ivb monitor --year 2024` on
    the session's data folder whose cache holds the stand-in all-municipality fetch (as served in
    December 2026; shared with the other tests, fetched once per session: the commands only read it)."""
    data, _, _ = through_october
    out = tmp_path_factory.mktemp("browser") / "outputs"
    before = digest(data)
    env = {**os.environ, "IVB_EMBEDDED_ONLY": str(ROOT / "data")}
    for args in (["run", "--year", str(YEAR), "--jobs", "2", "--quiet"], ["national", "--year", str(YEAR)],
                 ["monitor", "--year", "2024"]):
        proc = subprocess.run([sys.executable, "-m", "ivbtools.cli", "--data", str(data), *args, "--output", str(out)],
                              cwd=ROOT, capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
    assert digest(data) == before
    return out


PAGES = {"overzicht": "index.html", "jaaroverzicht": f"{YEAR}/index.html", "scorekaart": f"{YEAR}/scorecard.html",
         "rapport E33": f"{YEAR}/sociaal-verward-gedrag.html", "rapport woninginbraak": f"{YEAR}/sociaal-woninginbraak.html",
         "alle gemeenten": f"national/{YEAR}/index.html", "monitor 2024-2027": "monitor/2024/index.html"}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


# Everything wider than the window, and every box that scrolls sideways (a table cut off at the
# window's edge), among the elements a reader sees (a folded part is not shown).
OVERFLOW_JS = """() => {
  const w = document.documentElement.clientWidth, out = [];
  if (document.documentElement.scrollWidth > w + 1) out.push('page ' + document.documentElement.scrollWidth + ' > ' + w);
  for (const el of document.querySelectorAll('body *')) {
    if (!el.getClientRects().length) continue;
    const folded = el.closest('details');
    if (folded && !folded.open && !el.closest('summary')) continue;   // a folded part is not shown
    // a wide table (sticky first column) or a chart at its own size may scroll inside its own box: the box is
    // allowed when it holds a table or an image, and what lies inside it is clipped by it, not by the window
    let inside = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
      if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX) && a.querySelector('table, img')) { inside = true; break; }
    if (inside) continue;
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (r.right > w + 1 && cs.position !== 'fixed') out.push(el.tagName + '.' + el.className + ' right ' + Math.round(r.right));
    if (['auto', 'scroll'].includes(cs.overflowX) && el.scrollWidth > el.clientWidth + 1 && !el.querySelector('table, img'))
      out.push(el.tagName + '.' + el.className + ' scrolls ' + el.scrollWidth + ' > ' + el.clientWidth);
  }
  return out.slice(0, 8);
}"""


@pytest.mark.parametrize("width", [1400, 800, 390])
def test_no_page_overflows_the_window(site, browser, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    for name, path in PAGES.items():
        page.goto((site / path).as_uri())
        assert page.evaluate(OVERFLOW_JS) == [], f"{name} at {width} px"
    page.close()


def test_a_report_opens_with_its_verdict_and_prints_on_three_pages_at_most(site, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    for name in ("rapport E33", "rapport woninginbraak"):
        page.goto((site / PAGES[name]).as_uri())
        # the first screen: title, 'Kort' with the verdict, how sure and the national comparison
        first = page.evaluate("""() => { const out = [];
            for (const el of document.querySelectorAll('h1, h2, li')) {
              const r = el.getBoundingClientRect();
              if (r.height && r.bottom <= window.innerHeight) out.push(el.innerText); }
            return out.join('\\n'); }""")
        assert "Kort" in first and "Zekerheid:" in first and "Vergeleken met Nederland" in first, (name, first)
        assert re.search(r"^(Niet gehaald|Gehaald)\.", first, flags=re.M), (name, first)
        # the analysts' part is folded, and stays off paper
        assert page.evaluate("document.querySelector('details.ivb-analysts').open") is False
    # every target report of the year prints on three A4 pages at most
    reports = [p for p in sorted((site / str(YEAR)).glob("*.html")) if p.stem not in ("index", "scorecard")]
    assert len(reports) == 6
    for path in reports:
        page.goto(path.as_uri())
        pdf = page.pdf(format="A4", print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert 1 <= pages <= 3, f"{path.name} prints on {pages} pages"
    page.close()


def test_every_council_scorecard_column_is_on_paper(site, browser):
    page = browser.new_page(viewport={"width": A4_PRINT_WIDTH, "height": 1000})
    page.emulate_media(media="print")
    page.goto((site / PAGES["scorekaart"]).as_uri())
    heads = page.evaluate("""() => { const t = document.querySelector('table.ivb-table');
        return [...t.querySelectorAll('th')].map(th => { const r = th.getBoundingClientRect();
          return [th.innerText.trim(), Math.round(r.left), Math.round(r.right), Math.round(r.width)]; }); }""")
    assert [h[0] for h in heads] == ["doel", "oordeel", "zekerheid", "waarde", "vereist",
                                     "vergelijkbare gemeenten die het haalden"]
    for text, left, right, width in heads:
        assert left >= 0 and right <= A4_PRINT_WIDTH and width >= 40, (text, left, right, width)
    assert page.evaluate(OVERFLOW_JS) == []
    page.close()


def test_the_pages_are_dutch_with_dutch_numbers(site):
    for name, path in PAGES.items():
        text = " ".join(visible_text((site / path).read_text(encoding="utf-8")).split())
        english = [s for s in ENGLISH if s in text]
        assert not english, f"{name}: {english}"
        assert not re.search(r"\d[eE][-+]\d", text), f"{name}: scientific notation"
        assert not re.search(r"\b(True|False|NaN|None)\b", text), name
        # four-digit-plus counts with a thousands point, never '62619' (years and table numbers aside)
        plain = re.sub(r"https?://\S+|sha256 \S+", " ", text)   # addresses and checksums are not counts
        counts = [m for m in re.findall(r"(?<![\d.,/-])\d{5,}(?![\d.,])", plain) if not m.startswith(("470", "700"))]
        assert not counts, f"{name}: {counts[:5]}"
    report = (site / PAGES["rapport E33"]).read_text(encoding="utf-8")
    assert '<html lang="nl">' in report and "No description has been provided" not in report
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', report)
    assert len(alts) == 4 and all(a.startswith("Grafiek: ") for a in alts), alts


def test_the_council_part_of_every_page_has_no_statistical_terms_commands_or_paths(site):
    for name, path in PAGES.items():
        found = forbidden_in(council_part((site / path).read_text(encoding="utf-8")))
        assert not found, f"{name}: {found}"
    # the statistics moved, not vanished: the report's analysts' part still has the comparison's interval
    report = (site / PAGES["rapport E33"]).read_text(encoding="utf-8")
    fold = report[report.index('<details class="ivb-analysts"'):]
    assert "Vergelijking met Nederland: verhouding gemeente/land" in visible_text(fold) and "tweezijdig p" in fold


@pytest.mark.parametrize("width", [1400, 800])
def test_the_monitor_with_the_current_year_to_date_fits_and_reads_dutch(through_october, browser, width):
    """The monitor page from the stand-ins as served in December 2026 (months to October): no
    sideways scrolling, the year to date in the first screen's 'Kort', every chart with a Dutch
    alternative text."""
    _, folder, _ = through_october
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((folder / "index.html").as_uri())
    assert page.evaluate(OVERFLOW_JS) == [], f"monitor 2026 at {width} px"
    kort = page.evaluate("[...document.querySelectorAll('ul')][0].innerText")
    assert "2026 t/m oktober" in kort and "Vraagt aandacht" in kort
    alts = page.evaluate("[...document.querySelectorAll('img')].map(i => i.alt)")
    assert len(alts) >= 7 and all(a.startswith("Grafiek: ") for a in alts), alts
    page.close()
    text = " ".join(visible_text((folder / "index.html").read_text(encoding="utf-8")).split())
    assert not [s for s in ENGLISH if s in text] and not re.search(r"\b(True|False|NaN|None)\b", text)


ALIGN_JS = """() => { const out = [];
  for (const cell of document.querySelectorAll('td, th')) {
    if (!cell.getClientRects().length) continue;
    const folded = cell.closest('details');
    if (folded && !folded.open) continue;
    const text = cell.innerText.trim();
    if (!text || text === '–') continue;   // a dash stands for a missing figure: either way
    const number = /^[-+−]?[0-9][0-9.,]*\\s*%?$/.test(text);
    const align = getComputedStyle(cell).textAlign;
    const ok = number ? ['right', 'end'].includes(align) : ['left', 'start', 'center'].includes(align);
    if (!ok) out.push((number ? 'number ' : 'text ') + JSON.stringify(text.slice(0, 30)) + ' ' + align);
  }
  return out.slice(0, 8);
}"""


@pytest.mark.parametrize("media", ["screen", "print"])
def test_text_columns_are_left_aligned_and_numbers_right_aligned(site, browser, media):
    """Issue #29 row 5: JupyterLab's own stylesheet right-aligns every table cell; the project's pages
    read text from the left and numbers from the right, on screen and on paper (the computed style)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.emulate_media(media=media)
    for name in ("scorekaart", "rapport E33", "jaaroverzicht", "alle gemeenten"):
        page.goto((site / PAGES[name]).as_uri())
        assert page.evaluate(ALIGN_JS) == [], f"{name} ({media})"
    page.close()


def test_the_links_back_look_like_links(site, browser):
    """Issue #29 row 7: '← Overzicht alle jaren · Jaaroverzicht · Scorekaart' above a report are
    underlined and coloured unlike the body text."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((site / PAGES["rapport E33"]).as_uri())
    links = page.evaluate("""() => [...document.querySelectorAll('.ivb-nav a')].map(a => {
        const cs = getComputedStyle(a); return [cs.textDecorationLine, cs.color, getComputedStyle(document.body).color]; })""")
    assert links and all("underline" in d and color != body for d, color, body in links), links
    page.close()


# Every chart a reader sees, with the width it is shown at and its own width (a chart drawn at 96 dpi whose
# smallest text is 9 pt keeps it at 9 pt only when it is not shrunk).
CHARTS_JS = """() => [...document.querySelectorAll('img')].filter(i => {
  const d = i.closest('details'); return i.getClientRects().length && !(d && !d.open); })
  .map(i => [i.alt.slice(0, 40), Math.round(i.getBoundingClientRect().width), i.naturalWidth])"""


def test_chart_text_stays_9_pt_on_a_phone(site, browser):
    """Issue #29 row 3: at 390 px no chart is shrunk (its text was about 4 px); it scrolls in its own box.
    The charts' smallest text is 9 pt (tests/test_charts.py), so unshrunk it is 9 pt on the screen."""
    page = browser.new_page(viewport={"width": 390, "height": 900})
    seen = 0
    for name, path in PAGES.items():
        page.goto((site / path).as_uri())
        for alt, shown, natural in page.evaluate(CHARTS_JS):
            seen += 1
            assert natural > 0 and shown >= natural - 1, f"{name}: {alt!r} shown at {shown} of {natural} px"
    assert seen >= 8
    page.close()


# What makes the frame of a page: the font, the text size, the headings, the links back, the column.
FRAME_JS = """() => { const q = s => document.querySelector(s), cs = (e, p) => e ? getComputedStyle(e)[p] : null;
  const p = q('main p') || q('p'), h1 = q('h1'), h2 = q('main h2'), a = q('nav.ivb-nav a'), main = q('main');
  return {font: cs(p, 'fontFamily'), text: cs(p, 'fontSize'), h1: [cs(h1, 'fontSize'), cs(h1, 'fontWeight')],
          h2: [cs(h2, 'fontSize'), cs(h2, 'fontWeight')], link: a ? [cs(a, 'color'), cs(a, 'textDecorationLine')] : null,
          column: main ? Math.round(main.getBoundingClientRect().width) : null}; }"""


def test_every_page_has_one_frame(site, browser):
    """Issue #29 row 9: the hand-written pages and the reports look like one site: the same font, text
    size, headings, links back and column width, computed by the browser."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    frames = {}
    for name, path in PAGES.items():
        page.goto((site / path).as_uri())
        frames[name] = page.evaluate(FRAME_JS)
    page.close()
    first = frames["rapport E33"]
    assert first["column"] and first["link"] and "system-ui" in first["font"]
    for name, f in frames.items():
        for key in ("font", "text", "h1", "h2", "column"):
            if key == "h2" and f[key] == [None, None]:   # a page without sections (the year index)
                continue
            assert f[key] == first[key], f"{name}: {key} {f[key]} != {first[key]} (rapport E33)"
        if name != "overzicht":   # the overview is the top: no links back
            assert f["link"] == first["link"], f"{name}: links back {f['link']}"
