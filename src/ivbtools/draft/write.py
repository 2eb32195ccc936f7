"""Writing a draft: the targets file in the project's schema (every part with its quote, indicator
or figure to supply, rule and a `draft:` block) and a review page beside it (the document's text
with each found target highlighted, what was proposed and why, and what was skipped)."""
from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import yaml

from .. import atomic
from ..fmt import nl_date
from .propose import Draft, Proposal

CONFIDENCE_NL = {"high": "hoog", "medium": "midden", "low": "laag"}


def _slug(text: str, width: int = 48) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower().translate(str.maketrans("àáâäèéêëìíîïòóôöùúûüç", "aaaaeeeeiiiioooouuuuc")))
    return s.strip("-")[:width].strip("-") or "doel"


def _title(p: Proposal, labels: dict) -> str:
    what = labels.get(p.indicator) or p.needs_figure or "Doel"
    r = p.rule or {}
    kind = r.get("kind")
    years = f" in {r['target_year']}" if r.get("target_year") else ""
    if kind == "relative_change":
        pct = f"{abs(r['change']) * 100:g}%".replace(".", ",")
        word = "hoger" if r.get("bound") == "lower" or r["change"] > 0 else "lager"
        prefix = "minstens " if r.get("bound") == "lower" or r["change"] < 0 else "hooguit "
        return f"{what}{years} {prefix}{pct} {word} dan in {r.get('baseline_year', '?')}"
    if kind == "at_most":
        return f"{what}{years} ten hoogste {_num(r)}"
    if kind == "at_least":
        return f"{what}{years} ten minste {_num(r)}"
    if kind in ("at_or_below_baseline", "below_baseline", "at_or_above_baseline", "above_baseline"):
        word = {"at_or_below_baseline": "op of onder", "below_baseline": "onder", "at_or_above_baseline": "op of boven",
                "above_baseline": "boven"}[kind]
        return f"{what}{years} {word} het niveau van {r.get('baseline_year', '?')}"
    return what


def _num(r: dict) -> str:
    if "thresholds" in r:
        return "de streefwaarde per jaar"
    v = r.get("threshold")
    text = f"{v:g}".replace(".", ",") if isinstance(v, float) else str(v)
    return text + (f" per {r['per']:,}".replace(",", ".") if r.get("per") else "")


def targets_yaml(d: Draft, municipality: str, municipality_name: str, labels: dict, source_id: str) -> str:
    doc = d.document
    years = sorted({y for p in d.parts if p.rule for y in (p.rule.get("baseline_year"), p.rule.get("target_year")) if y})
    period = [years[0], years[-1]] if years else [dt.date.today().year - 4, dt.date.today().year - 1]
    themes: dict[str, dict] = {}
    ids: set[str] = set()
    for p in d.parts:
        heading = p.heading or "Doelen"
        t = themes.setdefault(heading, {"id": _unique(_slug(heading, 30), ids), "name": heading[:80], "quote": "", "parts": []})
        pid = _unique(_slug(_title(p, labels) if not p.qualitative else p.quote, 40), ids)
        part: dict = {"id": pid, "title": (_title(p, labels) if not p.qualitative else p.quote[:100]), "quote": p.quote}
        if p.qualitative:
            part.update(qualitative=True, account="(het document beschrijft wat er is gedaan: vul dit in bij de review)")
        else:
            if p.indicator and p.scored:
                part["indicator"] = p.indicator
                part["rule"] = dict(p.rule)
            else:
                part["scored"] = False
                part["reason"] = p.unscored_reason or "niet gescoord"
                if p.indicator:
                    part["indicator"] = p.indicator
                if p.needs_figure:
                    part["needs_figure"] = p.needs_figure
                if p.rule and p.rule.get("kind") != "?":
                    part["proposed_rule"] = dict(p.rule)
        part["draft"] = {"confidence": p.confidence, "reviewed": False, "where": p.where, "reasons": list(p.reasons)}
        t["parts"].append(part)
        t["quote"] = (t["quote"] + " " + p.quote).strip() if p.quote not in t["quote"] else t["quote"]
    doc_name = Path(doc.path).name
    out = {
        "policy": {"id": _slug(f"{municipality}-{doc.path.stem}", 60), "title": doc.title[:120] or doc_name,
                   "municipality": municipality, "period": period, "source_id": source_id,
                   "where": f"{doc_name}", "drafted_from": doc_name,
                   "source": {"id": source_id, "kind": "policy_document", "publisher": f"Gemeente {municipality_name}",
                              "title": doc.title[:120] or doc_name, "document": doc_name,
                              "retrieved": dt.date.today().isoformat()}},
        "themes": [t for t in themes.values() if t["parts"]],
        "skipped": [{"quote": s.quote[:300], "where": s.where, "reason": s.reason} for s in d.skipped],
    }
    head = (f"# Concept-doelen, opgesteld door `ivb draft` uit {doc_name} op {nl_date(dt.date.today().isoformat())}.\n"
            f"# Elk deel moet door een analist worden nagelopen: zet daarna `reviewed: true` in zijn draft-blok (of haal\n"
            f"# het blok weg). Zolang er een deel niet is nagelopen, staat op elke pagina 'Concept: doelen nog niet door een\n"
            f"# analist bevestigd'. Getallen en jaren die niet in de tekst staan, zijn nooit ingevuld.\n")
    return head + yaml.safe_dump(out, allow_unicode=True, sort_keys=False, width=110)


def _unique(base: str, ids: set[str]) -> str:
    cand, k = base, 2
    while cand in ids or cand in ("scorecard", "index", "run", "national", "monitor"):
        cand, k = f"{base}-{k}", k + 1
    ids.add(cand)
    return cand


def review_html(d: Draft, labels: dict, yaml_name: str) -> str:
    """The document's text with each found target highlighted (green: measurable, amber: not scored or a
    figure to supply, grey: qualitative), and the list of proposals and skipped passages."""
    from ..present.pages import html_page

    esc = html.escape
    text = d.document.text
    marks = sorted([(p.start, len(p.quote), "q" if p.qualitative else ("m" if p.scored and p.indicator else "u"), k)
                    for k, p in enumerate(d.parts) if p.start >= 0 and p.source == "sentence"]
                   + [(s.start, len(s.quote), "s", -1) for s in d.skipped if s.start >= 0])
    body, pos = [], 0
    for start, _, cls, k in marks:
        if start < pos:
            continue
        end = text.find(text[start:start + 30], start)
        seg_end = _sentence_end(text, start)
        body.append(esc(text[pos:start]))
        anchor = f' id="d{k}"' if k >= 0 else ""
        body.append(f'<mark class="{cls}"{anchor}>{esc(text[start:seg_end])}</mark>')
        pos = max(seg_end, end)
    body.append(esc(text[pos:]))
    rows = []
    for k, p in enumerate(d.parts):
        r = p.rule or {}
        rule = ", ".join(f"{a}: {b}" for a, b in r.items()) if r else "–"
        state = ("kwalitatief" if p.qualitative else "meetbaar" if p.scored and p.indicator else
                 f"niet gescoord — {p.unscored_reason}")
        described = _title(p, labels) if r and r.get("kind") not in (None, "?") else ""
        rows.append(f'<tr><td><a href="#d{k}">{esc(p.where)}</a></td><td>“{esc(p.quote)}”</td>'
                    f"<td>{esc(labels.get(p.indicator, p.indicator or p.needs_figure or '–'))}</td>"
                    f"<td>{esc(described)}<br><small><code>{esc(rule)}</code></small></td>"
                    f"<td>{esc(state)}</td><td>{esc(CONFIDENCE_NL.get(p.confidence, p.confidence))}</td>"
                    f"<td><small>{esc('; '.join(p.reasons))}</small></td></tr>")
    skipped = "".join(f"<tr><td>{esc(s.where)}</td><td>“{esc(s.quote[:300])}”</td><td>{esc(s.reason)}</td></tr>"
                      for s in d.skipped)
    n = d.summary()
    css = ("mark.m{background:#b7e4c0}mark.u{background:#ffe3a3}mark.q{background:#e6e6e6}mark.s{background:#f6d0d0}"
           ".doc{white-space:pre-wrap;font-size:.92em;max-height:40em;overflow:auto;border:1px solid #ccc;padding:.6em}")
    page = f"""<h1>Concept-doelen uit {esc(Path(d.document.path).name)}</h1>
<p>Opgesteld door <code>ivb draft</code>; het doelenbestand is <code>{esc(yaml_name)}</code>. Loop elk deel na en zet
<code>reviewed: true</code> in zijn draft-blok. {n['found']} doelen gevonden ({n['measurable']} meetbaar,
{n['needing a figure']} met een cijfer dat de analist moet aanleveren, {n['not scored']} niet gescoord),
{n['qualitative']} kwalitatief, {n['skipped']} passages met getallen overgeslagen.</p>
<p><mark class="m">meetbaar</mark> <mark class="u">niet gescoord of cijfer aanleveren</mark> <mark class="q">kwalitatief</mark>
<mark class="s">overgeslagen</mark></p>
<h2>Voorgestelde doelen</h2>
<table class="list"><tr><th>waar</th><th>citaat</th><th>indicator</th><th>regel</th><th>status</th><th>zekerheid</th>
<th>waarom</th></tr>{''.join(rows)}</table>
<h2>Overgeslagen</h2>
<table class="list"><tr><th>waar</th><th>passage</th><th>waarom</th></tr>{skipped}</table>
<h2>De tekst</h2>
<div class="doc">{''.join(body)}</div>"""
    return html_page(f"Concept-doelen — {Path(d.document.path).name}", page, css)


def _sentence_end(text: str, start: int) -> int:
    m = re.search(r"[.!?](?=\s|$)|\n\n", text[start:start + 1200])
    return start + (m.end() if m else min(len(text) - start, 400))


def write(d: Draft, out: Path, municipality: str, municipality_name: str, labels: dict) -> tuple[Path, Path]:
    """The targets file and its review page (written atomically, beside each other)."""
    out = Path(out)
    source_id = _slug(f"draft-{municipality}-{d.document.path.stem}", 70)
    atomic.write_text(out, targets_yaml(d, municipality, municipality_name, labels, source_id))
    page = out.with_suffix(".review.html")
    atomic.write_text(page, review_html(d, labels, out.name))
    return out, page
