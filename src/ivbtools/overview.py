"""The top-level `outputs/index.html`: one colour-coded grid per municipality, target parts ×
years, each cell the verdict and its qualifier, linking to its report.

Built only from what the batch published (each year's scorecard.json and run.json), so it
shows exactly what the reports say. The policy's own municipality lives in outputs/<year>/,
every other municipality in outputs/<code>/<year>/.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

from . import atomic

# (background, text colour) per cell class
COLOURS = {
    "clear-met": ("#1a7f37", "#fff"),
    "met": ("#b7e4c0", "#111"),
    "clear-not-met": ("#c62828", "#fff"),
    "not-met": ("#f6c1c1", "#111"),
    "break": ("#ffd68a", "#111"),
    "missing": ("#e6e6e6", "#555"),
    "neutral": ("#f5f5f5", "#555"),
}
LEGEND = [
    ("clear-met", "gehaald / op koers — duidelijk"),
    ("met", "gehaald / op koers — binnen de ruis"),
    ("not-met", "niet gehaald / niet op koers — binnen de ruis"),
    ("clear-not-met", "niet gehaald / niet op koers — duidelijk"),
    ("break", "onbeslist: reeksbreuk (zie landelijke vergelijking)"),
    ("missing", "onvoldoende gegevens"),
    ("neutral", "basisjaar, niet te beoordelen, geen toets"),
]
MET = {"gehaald", "op_koers", "op_niveau"}
NOT_MET = {"niet_gehaald", "niet_op_koers", "niet_op_niveau"}


def cell_class(status: str, qualifier: str | None) -> str:
    if status == "onvoldoende_gegevens":
        return "missing"
    if qualifier == "reeksbreuk" and status in MET | NOT_MET:
        return "break"
    if status in MET:
        return "clear-met" if qualifier == "duidelijk_gehaald" else "met"
    if status in NOT_MET:
        return "clear-not-met" if qualifier == "duidelijk_niet_gehaald" else "not-met"
    return "neutral"


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


def _grid(folder: Path, prefix: str) -> str:
    """One municipality's grid; `prefix` is the link path from outputs/ to its year folders."""
    years = _year_folders(folder)
    if not years:
        return ""
    cards = {int(y.name): _read_json(y / "scorecard.json") for y in years}
    runs = {int(y.name): _read_json(y / "run.json") for y in years}
    first = next(iter(cards.values()))
    meta = first.get("meta", {})
    esc = html.escape
    parts = [p for p in first.get("parts", []) if p.get("status") != "niet_meetbaar"]
    qualitative = [p for p in first.get("parts", []) if p.get("status") == "niet_meetbaar"]
    head = "".join(f'<th><a href="{prefix}{y}/index.html">{y}</a></th>' for y in cards)
    rows = []
    for part in parts:
        pid = part["doel_id"]
        cells = []
        for y, card in cards.items():
            p = next((q for q in card.get("parts", []) if q.get("doel_id") == pid), None)
            if p is None:
                cells.append('<td class="neutral">–</td>')
                continue
            cls = cell_class(p.get("status", ""), p.get("kwalificatie"))
            run_part = runs[y].get("parts", {}).get(pid, {})
            stale = run_part.get("status") == "failed"
            label = esc(p.get("oordeel", "")).replace("tussenstand: ", "")
            qual = esc(p.get("zekerheid") or "")
            title = esc(f"{p.get('oordeel', '')}; {p.get('zekerheid') or ''}; {p.get('toelichting', '')}")
            has_report = (folder / str(y) / f"{pid}.html").exists()
            peers = str(p.get("vergelijkbare_gemeenten") or "")
            peers = f"<br><small>vergelijkbare gemeenten: {esc(peers.split(' (')[0])}</small>" if " van " in peers else ""
            text = f"{label}<br><small>{qual}</small>{peers}" + ("<br><small>⚠ verouderd</small>" if stale else "")
            inner = f'<a href="{prefix}{y}/{esc(pid)}.html">{text}</a>' if has_report else text
            cells.append(f'<td class="{cls}" title="{title}">{inner}</td>')
        rows.append(f'<tr><th class="part">{esc(part.get("doel", pid))}</th>{"".join(cells)}</tr>')
    score_cells = "".join(f'<td class="neutral"><a href="{prefix}{y}/scorecard.html">scorekaart</a></td>' for y in cards)
    rows.append(f'<tr><th class="part">Alle doelen, ook de {len(qualitative)} niet-meetbare</th>{score_cells}</tr>')
    name = f"{esc(meta.get('municipality_name', ''))} ({esc(meta.get('municipality', ''))})"
    return (f'<section id="{esc(meta.get("municipality", ""))}"><h2>{name}</h2>'
            f'<table class="grid"><tr><th>doel \\ jaar</th>{head}</tr>{"".join(rows)}</table></section>')


def write_overview(out_dir: Path, own_municipality: str) -> Path:
    """Write outputs/index.html: the policy's own municipality first, then every other one."""
    out_dir = Path(out_dir)
    sections = [_grid(out_dir, "")]
    others = sorted(p for p in out_dir.iterdir() if p.is_dir() and p.name.startswith("GM") and p.name != own_municipality)
    sections += [_grid(p, f"{p.name}/") for p in others]
    sections = [s for s in sections if s]
    links = "".join(f'<li><a href="#{p.name}">{html.escape(p.name)}</a> (jaren in <a href="{p.name}/">{p.name}/</a>)</li>'
                    for p in others if _year_folders(p)) if others else ""
    national = sorted((p for p in (out_dir / "national").glob("*/index.html")), key=lambda p: p.parent.name) \
        if (out_dir / "national").is_dir() else []
    national_html = ("<p>Alle gemeenten met dezelfde doelen als maatstaf (<code>ivb national</code>): "
                     + ", ".join(f'<a href="national/{p.parent.name}/index.html">{p.parent.name}</a>' for p in national)
                     + ".</p>") if national else ""
    css = "".join(f".{k}{{background:{bg};color:{fg}}}.{k} a{{color:{fg}}}" for k, (bg, fg) in COLOURS.items())
    legend = "".join(f'<span class="key {k}">{html.escape(t)}</span>' for k, t in LEGEND)
    page = f"""<!doctype html><html lang="nl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>IVB-toetsen: overzicht</title>
<style>
body{{font-family:system-ui,sans-serif;margin:1.2em auto;max-width:78em;padding:0 1em;font-size:14px}}
h1{{font-size:1.4em;margin:.2em 0}} h2{{font-size:1.15em;margin:1em 0 .4em}}
table.grid{{border-collapse:collapse;width:100%;table-layout:fixed}}
.grid th,.grid td{{border:2px solid #fff;padding:.35em .5em;vertical-align:middle;text-align:center;line-height:1.25}}
.grid th.part{{text-align:left;font-weight:normal;width:34%;background:#fafafa}}
.grid td a{{text-decoration:none;display:block}} .grid small{{opacity:.9}}
.key{{display:inline-block;padding:.2em .5em;margin:.15em .3em .15em 0;border-radius:3px;font-size:.9em}}
{css}
</style></head><body>
<h1>IVB-toetsen: oordeel per doel en jaar</h1>
<p>Per cel het oordeel (het doeljaar is de toets; eerdere jaren zijn tussenstanden) en de zekerheid; klik voor het
rapport met de cijfers, hun bronnen, de toets en de landelijke vergelijking. Houd de muis op een cel voor de toelichting.</p>
<p>{legend}</p>
{''.join(sections) or '<p>Nog geen rapporten: draai <code>make report</code>.</p>'}
{('<div>Andere gemeenten (doelen van Westerkwartier als maatstaf): <ul>' + links + '</ul></div>') if links else ''}
{national_html}
</body></html>
"""
    target = out_dir / "index.html"
    atomic.write_text(target, page)
    return target
