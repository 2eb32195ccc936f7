"""The 2024–2027 monitor rendered: its Dutch page, its signals, statements and monthly figures as
tables (publish/monitor.py writes them to outputs/monitor/<year>/)."""
from __future__ import annotations

import base64
import datetime as dt
import html

import pandas as pd

from ..data.datastatus import provenance_nl, with_national
from ..data.months import MONTHS_NL
from ..fmt import nl_datetime, nl_int, nl_num
from ..verdict import signals
from ..verdict.monitor import is_year_to_date, period_of, range_text
from ..verdict.statements import evaluate_check
from .pages import GRID_CSS, html_page
from .statements import statement_text
from .text import STRENGTH_LEGEND, STRENGTH_PHRASE_NL, Md

SIGNAL_CLASS = {signals.HIGHER: "not-met", signals.LOWER: "met", signals.WITHIN: "neutral",
                signals.NO_DATA: "missing", signals.NO_EXPECTATION: "missing"}
SIGNAL_CSS = ".not-met{background:#f6c1c1}.met{background:#b7e4c0}.missing{background:#e6e6e6;color:#555}" \
             ".neutral{background:#f5f5f5} blockquote{margin:.4em 0 .6em 1em;padding-left:.8em;border-left:3px solid #ccc}"


def statements_table(ds, area: str | None = None) -> pd.DataFrame:
    """Every checkable statement of the policy document (policy file `checks`) about `area` (all
    when None): another municipality gets none of Westerkwartier's statements."""
    rows = []
    for c in ds.policy.checks:
        if area is not None and c.area != area:
            continue
        r = evaluate_check(ds, c)
        rows.append({"uitspraak_id": c.id, "uitspraak": c.quote, "gemeente": c.area, "indicator": c.indicator,
                     "periode": f"{c.from_year}–{c.to_year}", "uitkomst": r.status, "toelichting": statement_text(ds, r)})
    return pd.DataFrame(rows, columns=["uitspraak_id", "uitspraak", "gemeente", "indicator", "periode", "uitkomst",
                                       "toelichting"])


def months_table(ds, area: str) -> pd.DataFrame:
    """The monthly figures behind the year to date (issue #29): every month of the monitored
    indicators for `area` and the Netherlands, with its publication, Dutch headers (months.csv)."""
    from .sourcelines import source_entries

    inds = with_national(ds, [i.indicator for p in ds.monitor.priorities for i in p.indicators])
    t = ds.months.table
    t = t[t.indicator.isin(inds) & t.area_code.isin([area, "NL01"])].sort_values(["indicator", "area_code", "year", "month"])
    entry = {sid: "; ".join(source_entries(ds, [sid])) or sid for sid in set(t.source_id)}
    return pd.DataFrame({"indicator": t.indicator, "omschrijving": [ds.indicators[i].label_nl for i in t.indicator],
                         "gebied": t.area_name, "gebiedscode": t.area_code, "jaar": t.year.astype(int),
                         "maand": [MONTHS_NL[int(m) - 1] for m in t.month], "maandnummer": t.month.astype(int),
                         "aantal": t.value, "bron": [entry[sid] for sid in t.source_id]},
                        columns=["indicator", "omschrijving", "gebied", "gebiedscode", "jaar", "maand", "maandnummer",
                                 "aantal", "bron"])


def _chart(ds, indicator: str, area: str, rows: pd.DataFrame) -> str:
    from .plots import Chart, plot_monitor

    ax = plot_monitor(ds, indicator, area, rows)
    if isinstance(ax, Md):   # no figures yet: the sentence instead of a chart
        return f"<p><i>{html.escape(str(ax).strip('*'))}</i></p>"
    chart = Chart(ax.figure)   # the SVG, its alternative text, the figure closed
    return (f'<div class="chartbox"><img src="data:image/svg+xml;base64,{base64.b64encode(chart.svg.encode()).decode()}" '
            f'alt="{html.escape(chart.alt)}"></div>')


def _wide(r) -> str:
    """The condition a range rests on: an earlier year outside its own range widens it."""
    if not r.basis_buiten_verwachting:
        return ""
    return (f"<br><small>marge ruimer: {html.escape(r.basis_buiten_verwachting)} lag zelf buiten de "
            f"verwachting en telt mee</small>")


def _months_used(r) -> str:
    """Beside a year to date: which months, against which years' same months, and that they change."""
    period = period_of(r)
    if period.whole:
        return ""
    upto = period.month_nl
    base = f" tegen dezelfde maanden van {html.escape(r.basisjaren)}" if r.basisjaren else ""
    return (f"<br><small>januari t/m {html.escape(upto)} opgeteld{base}; de politie werkt maandcijfers achteraf "
            f"bij</small>")


def signals_csv(table: pd.DataFrame) -> pd.DataFrame:
    """The monitor table as signals.csv shows it: the signals and strengths in Dutch words."""
    return table.assign(signaal=table.signaal.map(signals.signal_label), sterkte=table.sterkte.map(signals.strength_label),
                        landelijk_signaal=table.landelijk_signaal.map(signals.signal_label))


def _strength(r) -> str:
    """Under a signal: strong (chance rarely gives it) or weak (chance gives it easily)."""
    words = STRENGTH_PHRASE_NL.get(r.sterkte)
    return f"<br><small>{html.escape(words)}</small>" if words else ""


def _national(r) -> str:
    """The national figure of the same year beside its own expected range, and its signal."""
    if not r.landelijk_signaal:
        return "–"
    if pd.isna(r.landelijk_waarde):
        return html.escape(signals.signal_label(r.landelijk_signaal))
    return (f"{nl_int(r.landelijk_waarde)} (verwacht {range_text(r.landelijk_verwacht_laag, r.landelijk_verwacht_hoog)}): "
            f"{html.escape(signals.signal_label(r.landelijk_signaal))}")


def _attention(table: pd.DataFrame) -> str:
    """The signals that call for a look, one line each."""
    hits = table[table.signaal.isin([signals.HIGHER, signals.LOWER])]
    hits = hits.assign(_order=(hits.sterkte != signals.STRONG).astype(int)).sort_values("_order", kind="stable")
    return "; ".join(f"{r.indicator_naam} {r.periode}: {nl_int(r.waarde)}{' (voorlopig)' if r.voorlopig else ''}, verwacht "
                     f"{range_text(r.verwacht_laag, r.verwacht_hoog)} ({signals.signal_label(r.signaal)}; {STRENGTH_PHRASE_NL.get(r.sterkte, '')})"
                     for r in hits.itertuples())


def _provisional_note(table: pd.DataFrame) -> str:
    """A line in Kort when a figure on the page may still change."""
    marked = table[table.voorlopig.astype(bool)]
    if marked.empty:
        return ""
    periods = ", ".join(dict.fromkeys(marked.periode))
    return (f"<li>Voorlopig ({html.escape(periods)}): de politie werkt haar cijfers achteraf bij, ook als de tabel ze "
            f"‘definitief’ noemt; het nieuwste jaar en de maanden van het lopende jaar kunnen nog veranderen. Lees een "
            f"signaal op zo'n cijfer met extra voorzichtigheid.</li>")


def _attention_line(table: pd.DataFrame) -> str:
    """What calls for a look, how many signals chance alone gives at this many judgements, and which
    indicators have no figures — no figures is never 'nothing outside the range'."""
    judged = table[table.signaal.isin([signals.HIGHER, signals.LOWER, signals.WITHIN])]
    empty = [n for n, g in table.groupby("indicator_naam", sort=False) if g.waarde.isna().all()]
    if judged.empty:
        return ("Vraagt aandacht: niets te zeggen — er zijn nog geen cijfers om aan een verwachting te toetsen"
                + (f" (geen cijfers voor {', '.join(empty)})" if empty else "") + ".")
    hits = _attention(table)
    n = len(judged)
    lo, hi = signals.CHANCE_PER_JUDGEMENT
    one_lo, one_hi = 1 - (1 - lo) ** n, 1 - (1 - hi) ** n
    chance = (f"Bij {n} oordelen, elk met ongeveer {lo * 100:.0f} tot {hi * 100:.0f}% kans op een toevallig signaal, "
              f"verwachten we er door toeval alleen al ongeveer {nl_num(n * lo, 1)} tot {nl_num(n * hi, 1)} (kans op minstens "
              f"één: {one_lo * 100:.0f}–{one_hi * 100:.0f}%): een enkel signaal kan toeval zijn. Een sterk signaal geeft "
              f"toeval zelden: hooguit {signals.CHANCE_STRONG_PER_JUDGEMENT * 100:.0f}% kans per oordeel, bij {n} oordelen "
              f"samen hooguit ongeveer {nl_num(n * signals.CHANCE_STRONG_PER_JUDGEMENT, 1)}.")
    text = f"Vraagt aandacht: {hits}. {STRENGTH_LEGEND}" if hits else \
        "Vraagt aandacht: geen indicator buiten de verwachte marge."
    missing = f" Geen cijfers voor: {', '.join(empty)}." if empty else ""
    return f"{text} {chance}{missing}"


def _months_basis(table: pd.DataFrame) -> str:
    part = table[is_year_to_date(table) & table.waarde.notna()]
    return f" Maandcijfers: {part.periode.iloc[-1]}." if not part.empty else ""


def _gaps(ds, table: pd.DataFrame, area: str, year: int) -> str:
    """One sentence per indicator whose monthly figures of `year` have a gap (no year to date for it)."""
    out = []
    for ind in dict.fromkeys(table.indicator):
        gap = ds.months.missing_months(ind, area, year)
        if gap:
            months = ", ".join(MONTHS_NL[m - 1] for m in gap)
            out.append(f" Geen stand tot nu toe voor {ds.indicators[ind].label_nl}: de maandcijfers van {year} missen "
                       f"{months} (nog niet gepubliceerd of niet opgehaald).")
    return "".join(out)


def _current_year(ds, table: pd.DataFrame, year: int) -> str:
    """What the page says about the year that is not over yet."""
    part = table[is_year_to_date(table)]
    if not part.empty:
        label = part.periode.iloc[0]
        others = [n for n in dict.fromkeys(table.indicator_naam) if n not in set(part.indicator_naam)]
        return (f"Het lopende jaar ({label}): vergeleken met dezelfde maanden van de jaren ervoor, uit de maandcijfers "
                f"van de politie." + (f" Alleen per heel jaar: {', '.join(others)}." if others else ""))
    if year >= dt.date.today().year:
        return (f"Het lopende jaar {year}: nog geen maandcijfers in de gegevens (ze komen met het volgende ophalen van de politiecijfers); "
                f"de jaarcijfers verschijnen na afloop van het jaar.")
    return f"Alle jaren tot en met {year} zijn hele jaren."


def monitor_html(ds, year: int, area: str, table: pd.DataFrame, statements: pd.DataFrame, made: str) -> str:
    esc = html.escape
    mon = ds.monitor
    parts = []
    for p in mon.priorities:
        block = [f"<h2>{esc(p.name)}</h2>", "<p><b>Doelstelling 2027</b> (kwalitatief, niet gescoord):</p>",
                 f"<blockquote>“{esc(p.goal_2027)}”</blockquote>"]
        if not p.indicators:
            block.append(f"<p>{esc(p.no_indicator)}</p>")
        for mi in p.indicators:
            rows = table[table.indicator == mi.indicator]
            cells = "".join(
                f'<tr><td>{esc(r.periode)}{_months_used(r)}</td><td>{"–" if pd.isna(r.waarde) else nl_int(r.waarde)}'
                f'{" (voorlopig)" if r.voorlopig else ""}</td>'
                f'<td>{range_text(r.verwacht_laag, r.verwacht_hoog)}</td>'
                f'<td class="{SIGNAL_CLASS.get(r.signaal, "neutral")}">{esc(signals.signal_label(r.signaal))}{_strength(r)}{_wide(r)}</td>'
                f'<td>{_national(r)}</td><td>{esc(r.vergelijkbare_gemeenten or "–")}</td></tr>'
                for r in rows.itertuples())
            block += [f"<h3>{esc(ds.indicators[mi.indicator].label_nl)}</h3>", f"<p><small>{esc(mi.reading)}</small></p>",
                      _chart(ds, mi.indicator, area, rows),
                      '<div class="scrollbox"><table class="list"><tr><th>periode</th><th>aantal</th><th>verwachte marge (95%)'
                      '</th><th>signaal</th>'
                      f"<th>landelijk</th><th>vergelijkbare gemeenten</th></tr>{cells}</table></div>"]
        if p.wanted:
            block.append("<p><small>Nog niet in de gegevens: " + "; ".join(f"{esc(w)} ({esc(n)})" for w, n in p.wanted)
                         + ".</small></p>")
        parts.append(f"<section>{''.join(block)}</section>")
    counts = table.signaal.value_counts()
    seen = sorted(set(table[table.waarde.notna()].periode))
    last = (ds.observations.years() or (None, None))[1]
    kort = ("; ".join(f"{int(counts.get(s, 0))} × {signals.signal_label(s)}" for s in (signals.HIGHER, signals.LOWER, signals.WITHIN)
                      if counts.get(s, 0)) + f" (jaren met cijfers: {', '.join(seen)})") if seen else \
        f"nog geen: de gegevens lopen tot en met {last}, de monitor begint in {mon.period[0]}"
    st_rows = "".join(f"<tr><td>“{esc(r.uitspraak)}”</td><td>{esc(r.uitkomst)}</td><td><small>{esc(r.toelichting)}</small></td></tr>"
                      for r in statements.itertuples())
    inds = with_national(ds, [i.indicator for p in mon.priorities for i in p.indicators])
    body = f"""<nav><a href="../../index.html">← Overzicht</a></nav>
<h1>Monitor {esc(mon.title)} — {esc(ds.area_name(area))}, t/m {year}</h1>
<p>Gemaakt op {esc(nl_datetime(made))}. {esc(provenance_nl(ds, [area, "NL01"], inds))}{esc(_months_basis(table))}</p>
<h2>Kort</h2>
<ul><li>{esc(_attention_line(table))}</li>
<li>Per prioriteit de open cijfers die laten zien of het de kant op gaat die het beleid wil, elk jaar naast de
marge die op grond van de jaren ervoor te verwachten was. Signalen: {esc(kort)}.</li>
<li>Een signaal is een reden om te kijken, geen oordeel over het beleid; de doelstellingen voor 2027 zijn kwalitatief
en worden niet gescoord. Methode: versie {signals.METHOD} van de vastgelegde werkwijze van de monitor.</li>
<li>{esc(_current_year(ds, table, year) + _gaps(ds, table, area, year))}</li>{_provisional_note(table)}</ul>
{''.join(parts)}
<h2>Uitspraken in het beleidsdocument</h2>
<p>{len(statements)} uitspraken uit de hoofdstukken 1 en 4 over {esc(ds.area_name(area))}, elk getoetst aan de cijfers
(bevestigd; niet bevestigd; binnen de toevalsmarge — de verandering of het verschil is zo klein dat toeval het kan
verklaren; of nog niet te controleren, met het cijfer dat daarvoor nodig is).</p>
<div class="scrollbox"><table class="list"><tr><th>uitspraak</th><th>uitkomst</th><th>toelichting</th></tr>{st_rows}</table></div>
<p>Als CSV (voor Excel): <a href="signals.csv">signals.csv</a>, <a href="statements.csv">statements.csv</a>, en de
maandcijfers achter de stand van het lopende jaar: <a href="months.csv">months.csv</a>.</p>"""
    return html_page(f"Monitor IVB 2024-2027 — {ds.area_name(area)}, t/m {year}", body, GRID_CSS + SIGNAL_CSS)
