"""The hand-made pages rendered (publish/ writes them): the top-level overview — one colour-coded
grid per municipality, target parts × years, each cell the verdict and its qualifier, linking to
its report —, the national table and each year's index, and the one frame every page shares.

Built only from what the batch published (each year's scorecard.json and run.json), so it
shows exactly what the reports say. The policy's own municipality lives in outputs/<year>/,
every other municipality in outputs/<code>/<year>/.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd

from ..data.dataset import Dataset
from ..data.datastatus import policy_indicators, provenance_nl
from ..fmt import nl_datetime
from ..verdict.rules import CLASS_NL, CLASS_ORDER, CLASS_SHORT_NL, verdict_class
from ..verdict.signals import HIGHER, LOWER, SIGNAL_NL, STRENGTH_NL, signal_label
from .csvout import nl_csv
from .palette import COLOURS
from .sourcelines import source_entries
from .text import strength_nl

LEGEND = [(k, CLASS_NL[k]) for k in CLASS_ORDER]


# One frame for every page (issue #29 row 9): the hand-written pages (overview, year index, monitor,
# all-municipality page) and the reports (nbconvert's JupyterLab page) share the font, the text size,
# the headings, the links and the column; tests/test_browser.py compares them computed.
FRAME_CSS = """\
:root{--jp-content-font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
 --jp-ui-font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
html body{font-size:15px;line-height:1.5;color:#1f1f1f;margin:0}
html body,body .jp-RenderedHTMLCommon,body .jp-RenderedMarkdown,body .jp-OutputArea-output{
 font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main,.ivb-nav{max-width:930px;margin:0 auto;box-sizing:border-box;padding:0 15px}
.ivb-nav{padding-top:.8em;font-size:14px}
a,.ivb-nav a,body .jp-RenderedHTMLCommon a{color:#0645ad;text-decoration:underline}
a:visited,.ivb-nav a:visited,body .jp-RenderedHTMLCommon a:visited{color:#5a3696}
body p,body li,body .jp-RenderedHTMLCommon p,body .jp-RenderedHTMLCommon li{font-size:15px;line-height:1.5}
h1,body .jp-RenderedHTMLCommon h1{font-size:24px;font-weight:600;line-height:1.25;margin:.5em 0 .4em}
h2,body .jp-RenderedHTMLCommon h2{font-size:19.5px;font-weight:600;line-height:1.3;margin:1.1em 0 .4em}
h3,body .jp-RenderedHTMLCommon h3{font-size:16.5px;font-weight:600;margin:1em 0 .3em}
@media (max-width:600px){html body,body p,body li,body .jp-RenderedHTMLCommon p,body .jp-RenderedHTMLCommon li{font-size:14px}
 h1,body .jp-RenderedHTMLCommon h1{font-size:21px} h2,body .jp-RenderedHTMLCommon h2{font-size:18px}
 main,.ivb-nav{padding:0 .6em}}
@media print{main{max-width:none} .ivb-nav{display:none} html body,body p,body li{font-size:10.5pt}
 a{color:inherit;text-decoration:none}}
"""

# The hand-written pages, on top of the frame.
STYLE = FRAME_CSS + """\
table.list{border-collapse:collapse} .list td,.list th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
img{max-width:100%;height:auto}
/* a wide table scrolls inside its own box on a phone, its first column staying in view */
.scrollbox{overflow-x:auto;max-width:100%}
.scrollbox th:first-child,.scrollbox td:first-child{position:sticky;left:0;z-index:1}
.scrollbox .list th:first-child,.scrollbox .list td:first-child{background:#fff}
/* a chart keeps its own size on a phone (its text stays at 9 pt or more) and scrolls inside its box */
.chartbox{overflow-x:auto;max-width:100%;margin:.5em 0}
@media (max-width:600px){.grid th.part{width:auto;min-width:9em}
 table.grid{table-layout:auto;width:auto} .grid th,.grid td{padding:.25em .3em} .chartbox img{max-width:none}}
@media print{.scrollbox,.chartbox{overflow:visible} .chartbox img{max-width:100%}}
"""


# The target reports and scorecards (nbconvert's JupyterLab page, present/templates/ivb): a
# readable column, tables left-aligned without pandas' index artefacts, the analysts' part folded,
# and on paper A4 with the folded part, the links and the empty notebook chrome left out.
REPORT_CSS = FRAME_CSS + """\
body.jp-Notebook{font-size:15px}
.jp-MarkdownOutput.jp-RenderedHTMLCommon{padding-left:0}
.jp-RenderedHTMLCommon{padding-right:0}
.jp-RenderedHTMLCommon table{margin-left:0;table-layout:auto;max-width:100%}
body .jp-RenderedHTMLCommon td,body .jp-RenderedHTMLCommon th,body .jp-RenderedHTMLCommon tr{text-align:left!important;vertical-align:top}
body .jp-RenderedHTMLCommon td.num{text-align:right!important;white-space:nowrap}
body .jp-RenderedHTMLCommon table.ivb-table td,body .jp-RenderedHTMLCommon table.ivb-table th{white-space:normal;padding:.3em .6em}
.jp-OutputArea-output{overflow-x:auto} .jp-OutputArea-output img{max-width:100%;height:auto}
/* on a phone a chart keeps its own size (text 9 pt or more) and scrolls inside its output box */
@media screen and (max-width:600px){.jp-OutputArea-output img{max-width:none!important}}
.jp-RenderedHTMLCommon code{white-space:pre-wrap;overflow-wrap:anywhere}
table.ivb-table th:first-child,table.ivb-table td:first-child{position:sticky;left:0;background:#fff;z-index:1}
details.ivb-analysts{border-top:2px solid #bbb;margin-top:2em}
details.ivb-analysts>summary{font:600 1.15em system-ui,sans-serif;cursor:pointer;padding:.6em 1.2em}
@page{size:A4;margin:12mm 12mm 14mm}
@media print{
 body.jp-Notebook{font-size:10.5pt} .ivb-nav{display:none} main{max-width:none}
 details.ivb-analysts:not([open]){display:none}
 .jp-OutputArea-output{overflow:visible} img{break-inside:avoid;max-height:8.5cm;width:auto!important}
 h1,h2,h3{break-after:avoid} table{break-inside:auto} tr{break-inside:avoid}
 .jp-Cell{padding:0!important} .jp-RenderedHTMLCommon p,.jp-RenderedHTMLCommon ul{margin-bottom:.4em}
 a{color:inherit;text-decoration:none}
}
"""


def html_page(title: str, body: str, css: str = "") -> str:
    """A complete Dutch HTML page around `body` (already escaped), in the frame every page shares:
    the links back (a leading <nav>) above, the content in one column (<main>), one stylesheet."""
    nav = ""
    if body.lstrip().startswith("<nav>"):
        head, rest = body.lstrip()[len("<nav>"):].split("</nav>", 1)
        nav, body = f'<nav class="ivb-nav">{head}</nav>\n', rest
    return (f'<!doctype html><html lang="nl"><head><meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>\n{STYLE}{css}</style></head><body>\n{nav}<main>\n{body}\n"
            f"</main>\n</body></html>\n")


cell_class = verdict_class   # the grid's cell class: one vocabulary with the national page (verdict/rules.py)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _year_folders(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.is_dir() and p.name.isdigit() and (p / "scorecard.json").exists()),
                  key=lambda p: int(p.name))


def _grid(folder: Path, prefix: str) -> tuple[str, list[str]]:
    """One municipality's grid and the verdict classes it shows; `prefix` is the link path from
    outputs/ to its year folders."""
    years = _year_folders(folder)
    if not years:
        return "", []
    cards = {int(y.name): _read_json(y / "scorecard.json") for y in years}
    runs = {int(y.name): _read_json(y / "run.json") for y in years}
    newest = cards[max(cards)]
    meta = newest.get("meta", {})
    esc = html.escape
    parts = [p for p in newest.get("parts", []) if p.get("status") != "niet_meetbaar"]
    qualitative = [p for p in newest.get("parts", []) if p.get("status") == "niet_meetbaar"]
    target_years = {p.get("doeljaar") for p in parts}
    head = "".join(f'<th{" class=target-year" if y in target_years else ""}><a href="{prefix}{y}/index.html">{y}</a>'
                   + ("<br><small>doeljaar: de toets</small>" if y in target_years else "<br><small>tussenstand</small>")
                   + "</th>" for y in cards)
    rows, classes = [], []
    for part in parts:
        pid = part["doel_id"]
        cells = []
        for y, card in cards.items():
            p = next((q for q in card.get("parts", []) if q.get("doel_id") == pid), None)
            if p is None:
                cells.append('<td class="neutral">–</td>')
                continue
            cls = cell_class(p.get("status", ""), p.get("kwalificatie"))
            classes.append(cls)
            run_part = runs[y].get("parts", {}).get(pid, {})
            stale = run_part.get("status") == "failed"
            label = esc(p.get("oordeel", "")).replace("tussenstand: ", "")
            qual = esc(p.get("zekerheid") or "")
            title = esc("; ".join(str(v) for v in (p.get("oordeel"), p.get("zekerheid"), p.get("toelichting")) if v))
            has_report = (folder / str(y) / f"{pid}.html").exists()
            peers = str(p.get("vergelijkbare_gemeenten") or "")
            verb = "haalden het" if y in target_years else "voldeden"
            peers = (f"<br><small>{esc(peers.split(' (')[0])} vergelijkbare gemeenten {verb}</small>"
                     if re.match(r"\d+ van \d+", peers) else "")
            text = f"{label}<br><small>{qual}</small>{peers}" + ("<br><small>⚠ verouderd</small>" if stale else "")
            inner = f'<a href="{prefix}{y}/{esc(pid)}.html">{text}</a>' if has_report else text
            cells.append(f'<td class="{cls}" title="{title}">{inner}</td>')
        note = part.get("aandachtspunt") or ""
        note = f'<br><small class="note">{esc(note)}</small>' if note else ""
        rows.append(f'<tr><th class="part">{esc(part.get("doel", pid))}{note}</th>{"".join(cells)}</tr>')
    score_cells = "".join(f'<td class="neutral"><a href="{prefix}{y}/scorecard.html">scorekaart</a></td>' for y in cards)
    rows.append(f'<tr><th class="part">Alle doelen, ook de {len(qualitative)} niet-meetbare</th>{score_cells}</tr>')
    name = f"{esc(meta.get('municipality_name', ''))} ({esc(meta.get('municipality', ''))})"
    made = max((str(c.get("meta", {}).get("generated_at", "")) for c in cards.values()), default="")
    basis = esc(meta.get("basis") or "")
    return (f'<section id="{esc(meta.get("municipality", ""))}"><h2>{name}</h2>{_concept(meta.get("concept"))}'
            f'<p class="basis">Laatst gemaakt op {esc(nl_datetime(made))}. {basis}</p>'
            f'<div class="scrollbox"><table class="grid"><tr><th>doel \\ jaar</th>{head}</tr>{"".join(rows)}</table></div>'
            f'</section>'), classes


def overview_html(out_dir: Path, own_municipality: str, made: str) -> str:
    """outputs/index.html from what is published in `out_dir`: the 2024-2027 monitor's block, then
    the policy's own municipality's grid, then every other one (publish/overview.py writes it)."""
    out_dir = Path(out_dir)
    others = sorted(p for p in out_dir.iterdir() if p.is_dir() and p.name.startswith("GM") and p.name != own_municipality)
    grids = [_grid(out_dir, "")] + [_grid(p, f"{p.name}/") for p in others]
    sections = [g for g, _ in grids if g]
    classes = [c for _, cs in grids for c in cs]
    links = "".join(f'<li><a href="#{p.name}">{html.escape(p.name)}</a> (jaren in <a href="{p.name}/">{p.name}/</a>)</li>'
                    for p in others if _year_folders(p)) if others else ""
    national = sorted((p for p in (out_dir / "national").glob("*/index.html")), key=lambda p: p.parent.name) \
        if (out_dir / "national").is_dir() else []
    national_html = ("<p>Alle gemeenten met dezelfde doelen als maatstaf: "
                     + ", ".join(f'<a href="national/{p.parent.name}/index.html">{p.parent.name}</a>' for p in national)
                     + ".</p>") if national else ""
    monitors = sorted((out_dir / "monitor").glob("*/index.html"), key=lambda p: p.parent.name) \
        if (out_dir / "monitor").is_dir() else []
    if monitors:
        national_html += ("<p>Monitor van het IVB 2024-2027 (prioriteiten, verwachting en signaal per jaar): "
                          + ", ".join(f'<a href="monitor/{p.parent.name}/index.html">t/m {p.parent.name}</a>'
                                      for p in monitors) + ".</p>")
    owner = html.escape(_policy_owner(out_dir) or own_municipality)
    body = f"""<h1>IVB-toetsen: oordeel per doel en jaar</h1>
{_monitor_block(monitors[-1]) if monitors else ''}
<h2>2020–2023: de doelen</h2>
<p>Pagina gemaakt op {html.escape(nl_datetime(made))}. Per cel het oordeel en de zekerheid; het doeljaar is de toets,
eerdere jaren zijn tussenstanden. Klik op een cel voor het rapport: bovenaan kort het oordeel, hoe zeker, waarom, en de
vergelijking met Nederland; daaronder de cijfers met hun bronnen.</p>
<p>{_legend(classes)}</p>
<p><small><b>Duidelijk</b>: groter dan de gewone schommeling van jaar tot jaar. <b>Binnen de ruis</b>: kleiner dan die
schommeling; het oordeel kan volgend jaar omslaan. <b>Reeksbreuk</b>: de registratie veranderde tussen de jaren; de
vergelijking met Nederland in het rapport is dan het antwoord.</small></p>
{''.join(sections) or '<p>Nog geen rapporten: draai <code>make report</code>.</p>'}
{(f'<div>Andere gemeenten (doelen van {owner} als maatstaf): <ul>' + links + '</ul></div>') if links else ''}
{national_html}"""
    return html_page("IVB-toetsen: overzicht", body, GRID_CSS + _palette_css())


GRID_CSS = """\
table.grid{border-collapse:collapse;width:100%;table-layout:fixed}
.grid th,.grid td{border:2px solid #fff;padding:.35em .5em;vertical-align:middle;text-align:center;line-height:1.25}
.grid th.part{text-align:left;font-weight:normal;width:34%;background:#fafafa}
.grid td a{text-decoration:none;display:block} .grid small{opacity:.9}
.key{display:inline-block;padding:.2em .5em;margin:.15em .3em .15em 0;border-radius:3px;font-size:.9em}
.grid th.target-year{border-bottom:3px solid #333} .grid small.note{color:#6a4b00} p.basis{color:#444;margin:.2em 0 .6em}
nav{font-size:.95em;margin-bottom:.4em}
@media print{.grid td a{color:inherit} .key{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 .grid td{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def _monitor_block(index: Path) -> str:
    """The 2024-2027 policy in the overview's first screen (issue #29 row 2): what the newest monitor
    signals ('vraagt aandacht': which indicators, which period), or nothing outside the expectation, or
    no figures yet — with a link to the monitor."""
    href = f"monitor/{index.parent.name}/index.html"
    try:
        sig = pd.read_csv(index.parent / "signals.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"periode": str})
    except (OSError, ValueError, pd.errors.ParserError):
        return (f'<div class="monitor-block"><h2>2024–2027: de prioriteiten</h2><p><a href="{href}">Monitor t/m '
                f'{html.escape(index.parent.name)}</a></p></div>')
    # the published CSV carries the Dutch words (signals_csv): back to the codes
    code = {words: c for c, words in SIGNAL_NL.items()}
    strength = {words: c for c, words in STRENGTH_NL.items()}
    sig["signaal"] = sig.signaal.map(code)
    sig["sterkte"] = sig.sterkte.map(strength) if "sterkte" in sig else None
    hits = sig[sig.signaal.isin([HIGHER, LOWER])]
    if not hits.empty:
        items = "".join(f"<li>{html.escape(str(r.indicator_naam))}, {html.escape(str(r.periode))}: "
                        f"{html.escape(signal_label(r.signaal) + strength_nl(r.sterkte))}</li>"
                        for r in hits.itertuples())
        what = (f"<p>Vraagt aandacht ({len(hits)} van {int(sig.waarde.notna().sum())} oordelen buiten de verwachting; "
                f"een enkel signaal kan toeval zijn):</p><ul>{items}</ul>")
    elif sig.waarde.notna().any():
        what = "<p>Niets buiten de verwachting: elk cijfer ligt binnen de marge die de jaren ervoor gaven.</p>"
    else:
        what = "<p>Nog geen cijfers om aan een verwachting te toetsen.</p>"
    return (f'<div class="monitor-block"><h2>2024–2027: de prioriteiten</h2>{what}<p><a href="{href}">Naar de monitor '
            f't/m {html.escape(index.parent.name)}</a> (per prioriteit de cijfers, de verwachte marge en de uitspraken '
            f'uit het beleidsdocument).</p></div>')


def _policy_owner(out_dir: Path) -> str:
    """The policy municipality's name, from a published scorecard of its own (outputs/<year>/)."""
    for y in reversed(_year_folders(Path(out_dir))):
        name = _read_json(y / "scorecard.json").get("meta", {}).get("municipality_name")
        if name:
            return name
    return ""


def national_files(ds: Dataset, year: int, table: pd.DataFrame, made: str) -> dict[str, bytes]:
    """The national table of `year` rendered (publish/national.py writes them to
    outputs/national/<year>/): national.csv, national.parquet, verdicts.png and index.html."""
    import io

    import matplotlib.pyplot as plt

    from ..verdict.alltable import verdict_counts
    from .plots import plot_verdict_distribution

    files: dict[str, bytes] = {}
    csv_text = nl_csv(table.assign(indicator_naam=[ds.indicators[i].label_nl if i in ds.indicators else i
                                                    for i in table.indicator]))
    files["national.csv"] = csv_text.encode("utf-8")
    buf = io.BytesIO()
    table.assign(gehaald=table.gehaald.astype("boolean"), kwalificatie=table.kwalificatie.astype(str)) \
        .to_parquet(buf, index=False)
    files["national.parquet"] = buf.getvalue()
    counts = verdict_counts(table)
    titles = {p.id: p.title for p in ds.policy.parts}
    ax = plot_verdict_distribution(counts, titles, year)
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(ax.figure)
    files["verdicts.png"] = buf.getvalue()
    sources = sorted(set(ds.observations.table[ds.observations.table.area_code.isin(table.gemeente.unique())
                                               & ds.observations.table.year.isin([year] + list(table.basisjaar.unique()))
                                               ].source_id))
    src_html = "".join(f"<li>{html.escape(entry)}</li>" for entry in source_entries(ds, sources))
    own = ds.policy.municipality
    own_rows = table[table.gemeente == own].set_index("doel_id")
    esc = html.escape

    def own_cell(i) -> str:
        if i not in own_rows.index:
            return "<td>–</td>"
        r = own_rows.loc[i]
        cls = cell_class(r.status, r.kwalificatie)
        return f'<td class="{cls}">{esc(str(r.oordeel))}<br><small>{esc(str(r.zekerheid or ""))}</small></td>'

    rows = "".join(f"<tr><td>{esc(titles.get(i, i))}</td>{own_cell(i)}" + "".join(f'<td class="num">{int(v)}</td>' for v in r)
                   + "</tr>" for i, r in zip(counts.index, counts.to_numpy()))
    head = "".join(f'<th class="{c}">{esc(CLASS_SHORT_NL[c])}</th>' for c in counts.columns)
    n = table.gemeente.nunique()
    total = len(ds.municipalities) if ds.municipalities is not None else n
    everyone = f"alle {n} gemeenten" if n == total else f"{n} van de {total} gemeenten"
    finals = {p.id: p.rule.target_year for p in ds.policy.parts if p.measurable}
    early = sorted({titles[i] for i in counts.index if year < finals.get(i, year)})
    interim = ("Gehaald betekent: in het doeljaar het doel gehaald; in een eerder jaar (tussenstand) op koers of op het "
               "vereiste niveau. " + (f"{year} ligt vóór het doeljaar van {len(early)} van de {len(counts)} doelen: "
               f"voor die doelen zijn dit tussenstanden." if early else ""))
    body = f"""<nav><a href="../../index.html">← Overzicht alle jaren</a></nav>
<h1>De doelen van {esc(ds.policy.title)} toegepast op {everyone}, {year}</h1>
<p>Gemaakt op {esc(nl_datetime(made))}. {esc(provenance_nl(ds, None, policy_indicators(ds)))}</p>
<p>Nederland telt {total} gemeenten; {"alle" if n == total else n} hebben cijfers in deze
tabel. Registraties zonder gemeente (politiecodes GM0998 "Buitenland" en GM0999 "niet in te delen") tellen niet als gemeente.</p>
<p>Elke gemeente getoetst met dezelfde regel als {esc(ds.area_name(own))}, met de gewone schommeling
van jaar tot jaar geschat uit haar eigen vergelijkbare gemeenten (een vaste lijst van de analist).
De andere gemeenten hebben deze doelen niet zelf vastgesteld:
dit is een maatstaf. Geen kaart en geen ranglijst: een verschil binnen de ruis is geen prestatie.</p>
<p>{interim}</p>
<div class="chartbox"><img src="verdicts.png" alt="Staafdiagram: per doel het aantal gemeenten per oordeel, in de kleuren van de tabel"></div>
<p>{_legend(counts.columns)}</p>
<p>Per doel: het oordeel voor {esc(ds.area_name(own))} en het aantal van de {n} gemeenten per oordeel.</p>
<div class="scrollbox"><table class="list national"><tr><th>Doel</th><th>{esc(ds.area_name(own))}</th>{head}</tr>{rows}</table></div>
<p>Volledige tabel: <a href="national.csv">CSV</a> (voor Excel: puntkomma's, decimale komma's) en <a href="national.parquet">Parquet</a>
(één rij per gemeente en doel).</p>
<h2>Bronnen</h2><ul>{src_html}</ul>"""
    css = (GRID_CSS + _palette_css() + "td.num{text-align:right} table.national{width:100%} "
           "table.national td,table.national th{font-size:.85em;padding:.25em .35em} table.national th{font-size:.8em}")
    files["index.html"] = html_page(f"IVB-doelen voor alle gemeenten, {year}", body, css).encode("utf-8")
    return files


def _concept(unreviewed) -> str:
    """The line every page of a drafted policy carries until each part was reviewed."""
    if not unreviewed:
        return ""
    return (f'<p class="concept"><b>Concept: doelen nog niet door een analist bevestigd.</b> {int(unreviewed)} delen '
            f'zijn nog niet nagelopen (ivb draft).</p>')


def _legend(classes) -> str:
    """The legend of the classes a page uses, in CLASS_ORDER."""
    used = [k for k in CLASS_ORDER if k in set(classes)]
    return "".join(f'<span class="key {k}">{html.escape(CLASS_NL[k])}</span>' for k in used)


def _palette_css() -> str:
    return "".join(f".{k}{{background:{bg};color:{fg}}}.{k} a{{color:{fg}}}\n" for k, (bg, fg) in COLOURS.items())


def year_index_html(run: dict, card, overview_link: str) -> str:
    """outputs/<year>/index.html: every report of the year with its verdict in the grid's colours,
    what data it rests on and when it was made; a failed report is named with its error."""
    esc = html.escape
    records = {r["doel_id"]: r for r in card.to_dict("records")}
    rows, classes = [], []
    for name, p in run["parts"].items():
        made = p.get("produced_at")
        if p["status"] == "ok":
            state = "nieuw gemaakt" if made == run["generated_at"] else f"ongewijzigd, gemaakt op {esc(nl_datetime(made))}"
        elif p["stale"]:
            state = f"MISLUKT — de vorige versie van {esc(nl_datetime(made))} staat er nog ({esc(p['error'])})"
        else:
            state = f"MISLUKT — geen rapport ({esc(p['error'])})"
        link = f'<a href="{esc(name)}.html">{esc(p["title"])}</a>' if (p["status"] == "ok" or p["stale"]) else esc(p["title"])
        r = records.get(name)
        if r is None or name == "scorecard":
            verdict, cls = "alle doelen, ook de niet-meetbare", "neutral"
        else:
            cls = cell_class(r["status"], r.get("kwalificatie"))
            classes.append(cls)
            verdict = esc(r["oordeel"]) + (f"<br><small>{esc(r['zekerheid'])}</small>" if r.get("zekerheid") else "")
        rows.append(f'<tr><td>{link}</td><td class="{cls}">{verdict}</td><td>{state}</td></tr>')
    basis = run.get("basis") or ""
    body = f"""<nav><a href="{overview_link}">← Overzicht alle jaren</a> · <a href="scorecard.html">Scorekaart {run['year']}</a></nav>
<h1>{esc(run['policy'])}: toets {run['year']}</h1>
{_concept(run.get('concept'))}
<p>{esc(run['municipality_name'])} ({esc(run['municipality'])}) · gemaakt op {esc(nl_datetime(run['generated_at']))}.
{esc(basis)}</p>
<p>{_legend(classes)}</p>
<table class="list"><tr><th>Rapport</th><th>Oordeel</th><th>Stand</th></tr>
{''.join(rows)}
</table>
<p>Scorekaart als <a href="scorecard.csv">CSV</a> (voor Excel: puntkomma's, decimale komma's) en
<a href="scorecard.json">JSON</a>; de scorekaart, alle cijfers met hun bron en de uitspraken uit het beleidsdocument
samen in één Excel-bestand: <a href="ivb-{run['year']}.xlsx">ivb-{run['year']}.xlsx</a>. Alle cijfers in de rapporten
noemen hun bron.</p>"""
    return html_page(f"IVB-toets {run['year']} — {run['municipality_name']}", body, GRID_CSS + _palette_css())
